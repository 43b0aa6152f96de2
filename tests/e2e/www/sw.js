// A module Service Worker using the package: no window, no XMLHttpRequest, no DOM.
import init, { OssClient } from '/pkg/oss_direct_upload.js';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  const reply = (m) => event.ports[0].postMessage(m);
  event.waitUntil((async () => {
    try {
      await init();
      const { endpoint, key, text } = event.data;
      const client = new OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts' });
      const putEvents = [];
      const put = await client.putObject(key, text, { contentType: 'text/plain', onProgress: ({ loaded, total }) => putEvents.push([loaded, total]) });
      const mpEvents = [];
      const mp = await client.multipartUpload(`${key}.mp`, new Blob([new Uint8Array(250_000)]), {
        partSize: 102_400, checkpoint: false, concurrency: 1, onProgress: ({ loaded, partsDone }) => mpEvents.push([loaded, partsDone]),
      });
      reply({ ok: true, put: { key: put.key, crc64: put.crc64 }, mp: { crc64: mp.crc64, parts: mp.parts }, putEvents, mpEvents });
    } catch (e) {
      reply({ ok: false, code: e.code, message: e.message });
    }
  })());
});
