// anchors.md §4 entry: aws-put-presign.js plus lib-storage's Upload, as described there.
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Upload } from '@aws-sdk/lib-storage';
export async function go(file) {
  const c = new S3Client({ region: 'us-east-1', credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c', expiration: new Date() }) });
  await c.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: file }));
  const u = new Upload({ client: c, params: { Bucket: 'b', Key: 'k', Body: file }, queueSize: 4, partSize: 5 * 1024 * 1024 });
  u.on('httpUploadProgress', p => console.log(p)); await u.done();
  return getSignedUrl(c, new PutObjectCommand({ Bucket: 'b', Key: 'k' }), { expiresIn: 600 });
}
