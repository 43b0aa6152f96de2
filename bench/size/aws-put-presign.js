// anchors.md §4 entry, verbatim.
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
export async function go(file) {
  const c = new S3Client({ region: 'us-east-1', credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c', expiration: new Date() }) });
  await c.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: file }));
  return getSignedUrl(c, new PutObjectCommand({ Bucket: 'b', Key: 'k' }), { expiresIn: 600 });
}
