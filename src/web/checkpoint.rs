//! Where multipart checkpoints live: IndexedDB (database `oss-direct-upload`, object store
//! `checkpoints`, keyed by uploadId), a store object the app passes in, or nowhere.
//!
//! A record is `{ uploadId, bucket, key, fileName, size, partSize, partsDone, partsTotal,
//! bytesDone, completing, createdAt, updatedAt, data }` where `data` is the checkpoint's text
//! form ([`Checkpoint::encode`]). Records never hold credentials: the checkpoint has none.

use super::input::set;
use super::transport::js_message;
use crate::error::{Error, Result};
use crate::upload::multipart::Checkpoint;
use core::cell::RefCell;
use js_sys::futures::JsFuture;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const DB_NAME: &str = "oss-direct-upload";
const STORE: &str = "checkpoints";

thread_local! {
    static DB: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// A checkpoint store.
#[derive(Debug, Clone)]
pub(crate) enum Store {
    /// `checkpoint: false`: nothing is kept.
    Off,
    /// IndexedDB (the default).
    IndexedDb,
    /// `{ get(id), set(id, record), delete(id), list() }`, each may return a Promise.
    Js(Object),
}

impl Store {
    /// The same store: both off, both IndexedDB, or the same JS object.
    pub(crate) fn same_as(&self, other: &Store) -> bool {
        match (self, other) {
            (Store::Off, Store::Off) | (Store::IndexedDb, Store::IndexedDb) => true,
            (Store::Js(a), Store::Js(b)) => Object::is(a, b),
            _ => false,
        }
    }
}

fn get(obj: &JsValue, name: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `obj[name](...args)`.
fn call(obj: &JsValue, name: &str, args: &[&JsValue]) -> core::result::Result<JsValue, JsValue> {
    let f: Function = get(obj, name).dyn_into().map_err(|_| {
        let mut m = String::from(name);
        m.push_str(" is not a function");
        JsValue::from_str(&m)
    })?;
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    f.apply(obj, &list)
}

/// Awaits an IDBRequest (or IDBOpenDBRequest, creating the object store on upgrade).
async fn request(req: &JsValue) -> core::result::Result<JsValue, JsValue> {
    let mut handlers: Vec<Closure<dyn FnMut()>> = Vec::new();
    let p = Promise::new(&mut |resolve, reject| {
        let r = req.clone();
        let ok = Closure::<dyn FnMut()>::new(move || {
            let _ = resolve.call1(&JsValue::NULL, &get(&r, "result"));
        });
        let r = req.clone();
        let fail = Closure::<dyn FnMut()>::new(move || {
            let _ = reject.call1(&JsValue::NULL, &get(&r, "error"));
        });
        set(req.unchecked_ref(), "onsuccess", ok.as_ref());
        set(req.unchecked_ref(), "onerror", fail.as_ref());
        handlers.push(ok);
        handlers.push(fail);
    });
    let r = req.clone();
    let upgrade = Closure::<dyn FnMut()>::new(move || {
        let db = get(&r, "result");
        let names = get(&db, "objectStoreNames");
        let has = call(&names, "contains", &[&JsValue::from_str(STORE)])
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if !has {
            let _ = call(&db, "createObjectStore", &[&JsValue::from_str(STORE)]);
        }
    });
    set(req.unchecked_ref(), "onupgradeneeded", upgrade.as_ref());
    let out = JsFuture::from(p).await;
    for name in ["onsuccess", "onerror", "onupgradeneeded"] {
        set(req.unchecked_ref(), name, &JsValue::NULL);
    }
    drop(handlers);
    drop(upgrade);
    out
}

fn idb_error(e: &JsValue) -> Error {
    let mut m = String::from("IndexedDB: ");
    m.push_str(&js_message(e));
    Error::invalid("checkpoint", m)
}

async fn db() -> Result<JsValue> {
    if let Some(db) = DB.with(|d| d.borrow().clone()) {
        return Ok(db);
    }
    let factory = get(&js_sys::global(), "indexedDB");
    if factory.is_undefined() || factory.is_null() {
        return Err(Error::invalid(
            "checkpoint",
            "IndexedDB is not available here; pass checkpoint: false or a CheckpointStore",
        ));
    }
    let open = call(
        &factory,
        "open",
        &[&JsValue::from_str(DB_NAME), &JsValue::from(1)],
    )
    .map_err(|e| idb_error(&e))?;
    let db = request(&open).await.map_err(|e| idb_error(&e))?;
    DB.with(|d| *d.borrow_mut() = Some(db.clone()));
    Ok(db)
}

async fn idb_store(mode: &str) -> Result<JsValue> {
    let db = db().await?;
    let tx = call(
        &db,
        "transaction",
        &[&JsValue::from_str(STORE), &JsValue::from_str(mode)],
    )
    .map_err(|e| {
        // A closed connection (e.g. versionchange): forget it so the next call reopens.
        DB.with(|d| *d.borrow_mut() = None);
        idb_error(&e)
    })?;
    call(&tx, "objectStore", &[&JsValue::from_str(STORE)]).map_err(|e| idb_error(&e))
}

async fn settle(v: core::result::Result<JsValue, JsValue>) -> Result<JsValue> {
    let v = v.map_err(|e| {
        let mut m = String::from("store failed: ");
        m.push_str(&js_message(&e));
        Error::invalid("checkpoint", m)
    })?;
    JsFuture::from(Promise::resolve(&v)).await.map_err(|e| {
        let mut m = String::from("store failed: ");
        m.push_str(&js_message(&e));
        Error::invalid("checkpoint", m)
    })
}

impl Store {
    /// Reads the `checkpoint` option: absent or `"indexeddb"`, `false`, or a store object.
    pub(crate) fn from_option(v: Option<JsValue>) -> Result<Self> {
        let Some(v) = v else {
            return Ok(Self::IndexedDb);
        };
        if v.as_bool() == Some(false) {
            return Ok(Self::Off);
        }
        if super::input::text_of(&v, "checkpoint")?.as_deref() == Some("indexeddb") {
            return Ok(Self::IndexedDb);
        }
        if v.is_object()
            && ["get", "set", "delete", "list"]
                .iter()
                .all(|m| get(&v, m).is_function())
        {
            return Ok(Self::Js(v.unchecked_into()));
        }
        Err(Error::invalid(
            "checkpoint",
            "must be \"indexeddb\", false, or an object with get, set, delete and list methods",
        ))
    }

    /// One operation: `(IndexedDB method, store method, writes)`, with `args` as IndexedDB takes
    /// them (`put(record, id)`; a store object gets `set(id, record)`). One function for all
    /// four keeps the wasm small.
    async fn op(&self, idb: &str, js: &str, write: bool, args: &[&JsValue]) -> Result<JsValue> {
        match self {
            Self::Off => Ok(JsValue::UNDEFINED),
            Self::IndexedDb => {
                let store = idb_store(if write { "readwrite" } else { "readonly" }).await?;
                let req = call(&store, idb, args).map_err(|e| idb_error(&e))?;
                request(&req).await.map_err(|e| idb_error(&e))
            }
            Self::Js(o) => {
                let swapped;
                let args = match args {
                    [record, id] => {
                        swapped = [*id, *record];
                        &swapped[..]
                    }
                    _ => args,
                };
                settle(call(o, js, args)).await
            }
        }
    }

    /// Every record.
    pub(crate) async fn list(&self) -> Result<Vec<JsValue>> {
        let all = self.op("getAll", "list", false, &[]).await?;
        Ok(if Array::is_array(&all) {
            Array::from(&all).iter().collect()
        } else {
            Vec::new()
        })
    }

    /// The record of `upload_id`.
    pub(crate) async fn get(&self, upload_id: &str) -> Result<Option<JsValue>> {
        let v = self
            .op("get", "get", false, &[&JsValue::from_str(upload_id)])
            .await?;
        Ok((!v.is_undefined() && !v.is_null()).then_some(v))
    }

    /// Saves `cp`.
    pub(crate) async fn put(&self, cp: &Checkpoint) -> Result<()> {
        let id = JsValue::from_str(&cp.upload_id);
        self.op("put", "set", true, &[&record(cp), &id])
            .await
            .map(drop)
    }

    /// Forgets `upload_id`.
    pub(crate) async fn delete(&self, upload_id: &str) -> Result<()> {
        self.op("delete", "delete", true, &[&JsValue::from_str(upload_id)])
            .await
            .map(drop)
    }

    /// Every checkpoint that parses.
    pub(crate) async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        Ok(self
            .list()
            .await?
            .iter()
            .filter_map(checkpoint_of)
            .collect())
    }
}

#[allow(clippy::cast_precision_loss)]
fn num(n: u64) -> JsValue {
    JsValue::from_f64(n as f64)
}

/// The record saved for `cp` (summary fields for listing, plus `data`).
pub(crate) fn record(cp: &Checkpoint) -> JsValue {
    let o = Object::new();
    set(&o, "uploadId", &JsValue::from_str(&cp.upload_id));
    set(&o, "bucket", &JsValue::from_str(&cp.bucket));
    set(&o, "key", &JsValue::from_str(&cp.key));
    set(&o, "fileName", &JsValue::from_str(&cp.fingerprint.name));
    set(&o, "size", &num(cp.fingerprint.size));
    set(&o, "partSize", &num(cp.part_size));
    set(
        &o,
        "partsDone",
        &JsValue::from(u32::try_from(cp.parts.len()).unwrap_or(u32::MAX)),
    );
    set(&o, "partsTotal", &JsValue::from(cp.parts_total()));
    set(&o, "bytesDone", &num(cp.bytes_done()));
    set(&o, "completing", &JsValue::from_bool(cp.completing));
    #[allow(clippy::cast_precision_loss)]
    {
        set(&o, "createdAt", &JsValue::from_f64(cp.created_ms as f64));
        set(&o, "updatedAt", &JsValue::from_f64(cp.updated_ms as f64));
    }
    set(&o, "data", &JsValue::from_str(&cp.encode()));
    o.into()
}

/// The checkpoint in a record, if it is one.
pub(crate) fn checkpoint_of(record: &JsValue) -> Option<Checkpoint> {
    Checkpoint::decode(&get(record, "data").as_string()?)
}

/// A record as shown by `listResumableUploads` (without `data`).
pub(crate) fn summary(cp: &Checkpoint) -> JsValue {
    let r = record(cp);
    let _ = Reflect::delete_property(r.unchecked_ref::<Object>(), &JsValue::from_str("data"));
    r
}
