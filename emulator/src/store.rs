//! On-disk storage. Layout under the data directory:
//! `buckets/<bucket>/objects/<sha256(key)>.json` (metadata, names the data file) and
//! `<sha256(key)>-<nonce>.data`; `buckets/<bucket>/uploads/<uploadId>/upload.json`,
//! `part-<n>.json`, `part-<n>-<nonce>.data`; `tmp/` for bodies being received.
//! A body is streamed to `tmp/`, hashed (MD5, CRC-64) on the way, then renamed into place; the
//! metadata file is renamed last, so an object appears whole or not at all.

use crate::crc64::Crc64;
use crate::md5::Md5;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Random bytes from the OS (falls back to a time-derived hash if `/dev/urandom` is missing).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .is_ok()
    {
        return buf;
    }
    let mut out = Vec::with_capacity(n);
    let mut ctr = 0u64;
    while out.len() < n {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let h = sha2::Sha256::digest(format!("{t}-{ctr}-{}", std::process::id()).as_bytes());
        out.extend_from_slice(&h);
        ctr += 1;
    }
    out.truncate(n);
    out
}

/// Upper-case random hex of `n` bytes.
pub fn random_hex_upper(n: usize) -> String {
    hex::encode_upper(random_bytes(n))
}

/// Metadata of a stored object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// Object key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Quoted ETag.
    pub etag: String,
    /// CRC-64/XZ of the whole object.
    pub crc64: u64,
    /// Base64 MD5 of the body (single-part objects only).
    #[serde(default)]
    pub content_md5: Option<String>,
    /// Content-Type.
    pub content_type: String,
    /// Last modified, unix ms.
    pub last_modified_ms: i64,
    /// Stored response headers (Cache-Control, Content-Disposition, …, x-oss-meta-*).
    pub headers: Vec<(String, String)>,
    /// `Normal` or `Multipart`.
    pub object_type: String,
    /// Data file name (in the same directory).
    pub data_file: String,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadMeta {
    /// Upload ID.
    pub upload_id: String,
    /// Bucket.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// Initiated, unix ms.
    pub initiated_ms: i64,
    /// Content-Type given at initiation.
    pub content_type: String,
    /// Headers to apply to the final object.
    pub headers: Vec<(String, String)>,
}

/// One uploaded part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartMeta {
    /// Part number.
    pub number: u32,
    /// Size.
    pub size: u64,
    /// Quoted ETag.
    pub etag: String,
    /// CRC-64.
    pub crc64: u64,
    /// Raw MD5 hex (for the multipart ETag).
    pub md5_hex: String,
    /// Last modified, unix ms.
    pub last_modified_ms: i64,
    /// Data file name.
    pub data_file: String,
}

/// Result of streaming a body to a temporary file.
#[derive(Debug)]
pub struct Written {
    /// Temporary file.
    pub path: PathBuf,
    /// Bytes written.
    pub size: u64,
    /// MD5.
    pub md5: [u8; 16],
    /// CRC-64.
    pub crc64: u64,
    /// Is `md5` the real MD5 (false in `--fast-etag` mode, where it is CRC-64 ‖ size)?
    pub md5_real: bool,
}

impl Written {
    /// Quoted upper-case ETag.
    pub fn etag(&self) -> String {
        format!("\"{}\"", hex::encode_upper(self.md5))
    }
    /// Base64 MD5 (None when it was not computed).
    pub fn content_md5(&self) -> Option<String> {
        use base64::Engine;
        self.md5_real
            .then(|| base64::engine::general_purpose::STANDARD.encode(self.md5))
    }
}

/// Size of the buffers a body is gathered into before the file write and MD5.
const BUF: usize = 1 << 20;
/// Spare buffers kept for the next bodies (at most 32 MiB).
const POOL_MAX: usize = 32;

/// Reused body buffers. Each chunk hyper hands over is copied once, while it is still in cache,
/// into one of these and dropped at once, so hyper can read the next bytes into the same
/// allocation; the full buffers go on to the file writer and MD5 and come back here. Without
/// this, every read allocated a fresh buffer and the allocator returned freed ones to the OS,
/// so a third of the pages of a body were faulted in and zeroed again (measured: 82 000 page
/// faults per GiB, none with the pool).
#[derive(Debug, Default)]
struct Pool(Mutex<Vec<Vec<u8>>>);

impl Pool {
    fn get(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| Vec::with_capacity(BUF))
    }

    /// Give a buffer back when `b` is its last holder.
    fn put(&self, b: Arc<Vec<u8>>) {
        if let Some(mut v) = Arc::into_inner(b) {
            v.clear();
            if let Ok(mut p) = self.0.lock() {
                if p.len() < POOL_MAX {
                    p.push(v);
                }
            }
        }
    }
}

/// A body being written to a temporary file: CRC-64 computed as each chunk arrives (on the
/// receiving task, while the chunk is still in cache; ~0.1 ms per MiB), the chunks gathered into
/// pooled 1 MiB buffers, which one blocking worker writes to the file while another computes
/// MD5, so receiving, writing and MD5 overlap.
#[derive(Debug)]
pub struct BodyWriter {
    tx: Option<mpsc::Sender<Arc<Vec<u8>>>>,
    handle: tokio::task::JoinHandle<io::Result<u64>>,
    md5: Option<Md5Worker>,
    crc: Crc64,
    buf: Vec<u8>,
    pool: Arc<Pool>,
    path: PathBuf,
}

#[derive(Debug)]
struct Md5Worker {
    tx: mpsc::Sender<Arc<Vec<u8>>>,
    handle: tokio::task::JoinHandle<[u8; 16]>,
}

impl BodyWriter {
    /// Send a chunk.
    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        if self.tx.is_none() {
            return Err(io::Error::other("body writer closed"));
        }
        self.crc.update(&chunk);
        let mut rest: &[u8] = &chunk;
        while !rest.is_empty() {
            // `buf` is flushed as soon as it is full, so there is room here.
            let room = BUF.saturating_sub(self.buf.len()).max(1);
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.buf.extend_from_slice(now);
            rest = later;
            if self.buf.len() >= BUF {
                self.flush().await?;
            }
        }
        Ok(())
    }

    /// Hand the gathered bytes to the file writer and MD5.
    async fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let Some(tx) = &self.tx else {
            return Err(io::Error::other("body writer closed"));
        };
        let full = Arc::new(std::mem::replace(&mut self.buf, self.pool.get()));
        if let Some(m) = &self.md5 {
            m.tx.send(full.clone())
                .await
                .map_err(|_| io::Error::other("md5 worker stopped"))?;
        }
        tx.send(full)
            .await
            .map_err(|_| io::Error::other("body writer stopped"))
    }

    /// Flush and return the result.
    pub async fn finish(mut self) -> io::Result<Written> {
        let flushed = self.flush().await;
        self.tx = None;
        // The writer's own error (a full disk, say) says more than "writer stopped".
        let size = match (&mut self.handle).await {
            Ok(r) => r?,
            Err(e) => return Err(io::Error::other(e.to_string())),
        };
        flushed?;
        let crc = self.crc.value();
        let (digest, md5_real) = match self.md5.take() {
            Some(Md5Worker { tx, handle }) => {
                drop(tx);
                let d = handle
                    .await
                    .map_err(|_| io::Error::other("md5 worker failed"))?;
                (d, true)
            }
            None => {
                let mut d = [0u8; 16];
                d[..8].copy_from_slice(&crc.to_be_bytes());
                d[8..].copy_from_slice(&size.to_be_bytes());
                (d, false)
            }
        };
        Ok(Written {
            path: self.path.clone(),
            size,
            md5: digest,
            crc64: crc,
            md5_real,
        })
    }

    /// Stop and delete the temporary file.
    pub async fn abort(mut self) {
        let _ = self.flush().await;
        self.tx = None;
        let _ = (&mut self.handle).await;
        if let Some(Md5Worker { tx, handle }) = self.md5.take() {
            drop(tx);
            let _ = handle.await;
        }
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

/// The store.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    lock: Mutex<()>,
    pool: Arc<Pool>,
}

fn key_id(key: &str) -> String {
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

fn write_json_atomic<T: Serialize>(dir: &Path, name: &str, value: &T) -> io::Result<()> {
    let tmp = dir.join(format!(".{name}.{}.tmp", random_hex_upper(6)));
    let data = serde_json::to_vec(value).map_err(io::Error::other)?;
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&data)?;
    }
    std::fs::rename(&tmp, dir.join(name))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let data = std::fs::read(path).ok()?;
    serde_json::from_slice(&data).ok()
}

impl Store {
    /// Open (creating) a store under `root` with these buckets.
    pub fn open(root: &Path, buckets: &[String]) -> io::Result<Self> {
        std::fs::create_dir_all(root.join("tmp"))?;
        for b in buckets {
            std::fs::create_dir_all(root.join("buckets").join(b).join("objects"))?;
            std::fs::create_dir_all(root.join("buckets").join(b).join("uploads"))?;
        }
        Ok(Self {
            root: root.to_path_buf(),
            lock: Mutex::new(()),
            pool: Arc::default(),
        })
    }

    /// Root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn objects_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("buckets").join(bucket).join("objects")
    }

    fn uploads_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("buckets").join(bucket).join("uploads")
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Start streaming a body into a temporary file. Without `md5`, the digest is replaced by
    /// CRC-64 ‖ size (the `--fast-etag` mode).
    pub fn begin_body(&self, md5: bool) -> io::Result<BodyWriter> {
        let path = self
            .root
            .join("tmp")
            .join(format!("body-{}", random_hex_upper(12)));
        let mut file = std::fs::File::create(&path)?;
        // A few buffers in flight per stage: enough to keep every stage busy, few enough that
        // a buffer is still in the last-level cache when the file write copies it.
        let (tx, mut rx) = mpsc::channel::<Arc<Vec<u8>>>(4);
        let pool = self.pool.clone();
        let handle = tokio::task::spawn_blocking(move || -> io::Result<u64> {
            let mut size = 0u64;
            while let Some(b) = rx.blocking_recv() {
                size += b.len() as u64;
                file.write_all(&b)?;
                pool.put(b);
            }
            file.flush()?;
            Ok(size)
        });
        let md5 = md5.then(|| {
            let (tx, mut rx) = mpsc::channel::<Arc<Vec<u8>>>(16);
            let pool = self.pool.clone();
            let handle = tokio::task::spawn_blocking(move || {
                let mut md5 = Md5::new();
                while let Some(b) = rx.blocking_recv() {
                    md5.update(&b);
                    pool.put(b);
                }
                md5.finalize()
            });
            Md5Worker { tx, handle }
        });
        Ok(BodyWriter {
            tx: Some(tx),
            handle,
            md5,
            crc: Crc64::new(),
            buf: self.pool.get(),
            pool: self.pool.clone(),
            path,
        })
    }

    /// Object metadata, if the object exists.
    pub fn head(&self, bucket: &str, key: &str) -> Option<ObjectMeta> {
        read_json(
            &self
                .objects_dir(bucket)
                .join(format!("{}.json", key_id(key))),
        )
    }

    /// Path of an object's data file.
    pub fn data_path(&self, bucket: &str, meta: &ObjectMeta) -> PathBuf {
        self.objects_dir(bucket).join(&meta.data_file)
    }

    /// Commit a written body as an object. With `forbid_overwrite`, fail (returning `false`)
    /// when the key exists.
    pub fn commit_object(
        &self,
        bucket: &str,
        written: &Written,
        mut meta: ObjectMeta,
        forbid_overwrite: bool,
    ) -> io::Result<bool> {
        let dir = self.objects_dir(bucket);
        let id = key_id(&meta.key);
        let data_file = format!("{id}-{}.data", random_hex_upper(6));
        meta.data_file = data_file.clone();
        let _g = self.guard();
        let old: Option<ObjectMeta> = read_json(&dir.join(format!("{id}.json")));
        if forbid_overwrite && old.is_some() {
            let _ = std::fs::remove_file(&written.path);
            return Ok(false);
        }
        std::fs::rename(&written.path, dir.join(&data_file))?;
        write_json_atomic(&dir, &format!("{id}.json"), &meta)?;
        if let Some(old) = old {
            let _ = std::fs::remove_file(dir.join(old.data_file));
        }
        Ok(true)
    }

    /// Delete an object (no error when absent).
    pub fn delete(&self, bucket: &str, key: &str) -> io::Result<()> {
        let dir = self.objects_dir(bucket);
        let id = key_id(key);
        let _g = self.guard();
        let old: Option<ObjectMeta> = read_json(&dir.join(format!("{id}.json")));
        if let Some(old) = old {
            std::fs::remove_file(dir.join(format!("{id}.json")))?;
            let _ = std::fs::remove_file(dir.join(old.data_file));
        }
        Ok(())
    }

    /// All objects of a bucket, sorted by key.
    pub fn list(&self, bucket: &str) -> Vec<ObjectMeta> {
        let mut out: Vec<ObjectMeta> = std::fs::read_dir(self.objects_dir(bucket))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| {
                        let n = e.file_name();
                        let n = n.to_string_lossy();
                        n.ends_with(".json") && !n.starts_with('.')
                    })
                    .filter_map(|e| read_json(&e.path()))
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    // ---- multipart ----

    /// Create an upload.
    pub fn create_upload(&self, meta: &UploadMeta) -> io::Result<()> {
        let dir = self.uploads_dir(&meta.bucket).join(&meta.upload_id);
        std::fs::create_dir_all(&dir)?;
        write_json_atomic(&dir, "upload.json", meta)
    }

    /// An upload, if it exists.
    pub fn upload(&self, bucket: &str, upload_id: &str) -> Option<UploadMeta> {
        if upload_id.is_empty()
            || !upload_id.bytes().all(|b| b.is_ascii_alphanumeric())
            || upload_id.len() > 64
        {
            return None;
        }
        read_json(&self.uploads_dir(bucket).join(upload_id).join("upload.json"))
    }

    /// Store a part (replacing a previous one with the same number). Returns false if the
    /// upload disappeared meanwhile.
    pub fn commit_part(
        &self,
        bucket: &str,
        upload_id: &str,
        written: &Written,
        number: u32,
        now_ms: i64,
    ) -> io::Result<Option<PartMeta>> {
        let dir = self.uploads_dir(bucket).join(upload_id);
        let _g = self.guard();
        if !dir.join("upload.json").exists() {
            let _ = std::fs::remove_file(&written.path);
            return Ok(None);
        }
        let data_file = format!("part-{number:05}-{}.data", random_hex_upper(6));
        std::fs::rename(&written.path, dir.join(&data_file))?;
        let meta = PartMeta {
            number,
            size: written.size,
            etag: written.etag(),
            crc64: written.crc64,
            md5_hex: hex::encode_upper(written.md5),
            last_modified_ms: now_ms,
            data_file,
        };
        let name = format!("part-{number:05}.json");
        let old: Option<PartMeta> = read_json(&dir.join(&name));
        write_json_atomic(&dir, &name, &meta)?;
        if let Some(old) = old {
            let _ = std::fs::remove_file(dir.join(old.data_file));
        }
        Ok(Some(meta))
    }

    /// Parts of an upload, sorted by number.
    pub fn parts(&self, bucket: &str, upload_id: &str) -> Vec<PartMeta> {
        let dir = self.uploads_dir(bucket).join(upload_id);
        let mut out: Vec<PartMeta> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| {
                        let n = e.file_name();
                        let n = n.to_string_lossy();
                        n.starts_with("part-") && n.ends_with(".json")
                    })
                    .filter_map(|e| read_json(&e.path()))
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by_key(|p| p.number);
        out
    }

    /// All uploads of a bucket, sorted by (key, initiated).
    pub fn uploads(&self, bucket: &str) -> Vec<UploadMeta> {
        let mut out: Vec<UploadMeta> = std::fs::read_dir(self.uploads_dir(bucket))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter_map(|e| read_json(&e.path().join("upload.json")))
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a, b| a.key.cmp(&b.key).then(a.initiated_ms.cmp(&b.initiated_ms)));
        out
    }

    /// Remove an upload and its parts. Returns false when it did not exist.
    pub fn abort_upload(&self, bucket: &str, upload_id: &str) -> io::Result<bool> {
        if self.upload(bucket, upload_id).is_none() {
            return Ok(false);
        }
        let _g = self.guard();
        std::fs::remove_dir_all(self.uploads_dir(bucket).join(upload_id))?;
        Ok(true)
    }

    /// Concatenate parts into a temporary file (blocking). Returns its path and size.
    pub fn concat_parts(
        &self,
        bucket: &str,
        upload_id: &str,
        parts: &[PartMeta],
    ) -> io::Result<(PathBuf, u64)> {
        let dir = self.uploads_dir(bucket).join(upload_id);
        let path = self
            .root
            .join("tmp")
            .join(format!("complete-{}", random_hex_upper(12)));
        let mut out = std::fs::File::create(&path)?;
        let mut total = 0u64;
        for p in parts {
            let mut f = std::fs::File::open(dir.join(&p.data_file))?;
            total += io::copy(&mut f, &mut out)?;
        }
        out.flush()?;
        Ok((path, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks of awkward sizes across several pooled buffers, twice (the second body reuses the
    /// first one's buffers): the file, size, MD5 and CRC-64 are those of the concatenation.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn body_spanning_pooled_buffers_is_stored_and_hashed_exactly() {
        let dir = std::env::temp_dir().join(format!("oss-emu-store-{}", random_hex_upper(6)));
        let store = Store::open(&dir, &["b".to_string()]).unwrap();
        let data: Vec<u8> = (0..(3 * BUF + 12_345) as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        for round in 0..2 {
            let mut w = store.begin_body(true).unwrap();
            let mut off = 0;
            for (i, n) in [1usize, 7, BUF - 8, BUF + 1, 65_536, 3]
                .iter()
                .cycle()
                .enumerate()
            {
                if off >= data.len() {
                    break;
                }
                let n = (*n + i).min(data.len() - off);
                w.write(Bytes::copy_from_slice(&data[off..off + n]))
                    .await
                    .unwrap();
                off += n;
            }
            let got = w.finish().await.unwrap();
            assert_eq!(got.size, data.len() as u64, "round {round}");
            assert_eq!(got.md5, Md5::digest(&data), "round {round}");
            assert!(got.md5_real);
            assert_eq!(got.crc64, crate::crc64::crc64(&data), "round {round}");
            assert_eq!(std::fs::read(&got.path).unwrap(), data, "round {round}");
        }
        // --fast-etag: CRC-64 ‖ size instead of the MD5.
        let mut w = store.begin_body(false).unwrap();
        w.write(Bytes::copy_from_slice(&data)).await.unwrap();
        let got = w.finish().await.unwrap();
        assert!(!got.md5_real);
        assert_eq!(got.md5[..8], crate::crc64::crc64(&data).to_be_bytes());
        assert_eq!(got.md5[8..], (data.len() as u64).to_be_bytes());
        // Abort removes the temporary file.
        let mut w = store.begin_body(true).unwrap();
        w.write(Bytes::copy_from_slice(&data)).await.unwrap();
        let path = w.path.clone();
        w.abort().await;
        assert!(!path.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn random_hex_is_upper_and_sized() {
        let h = random_hex_upper(12);
        assert_eq!(h.len(), 24);
        assert!(h
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
    }
}
