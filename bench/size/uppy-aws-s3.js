// anchors.md §4 entry, verbatim.
import Uppy from '@uppy/core';
import AwsS3 from '@uppy/aws-s3';
export function go() {
  return new Uppy().use(AwsS3, { s3Endpoint: 'https://b.s3.amazonaws.com', region: 'us-east-1',
    getCredentials: async () => ({ credentials: { accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' }, region: 'us-east-1' }),
    shouldUseMultipart: (f) => f.size > 100 * 2 ** 20 });
}
