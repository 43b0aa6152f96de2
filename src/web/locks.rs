//! Web Locks (`navigator.locks`), shared by the tabs, windows and workers of one origin: the
//! cross-tab credential sharing waits on them (src/web/source.rs), and a multipart upload holds
//! one while it runs so that no other tab resumes it at the same time (src/web/multipart.rs).
//!
//! A lock is held until the promise its callback returns settles; [`Release`] settles it when
//! dropped, so a lock is let go however the Rust side ends (a cancelled future included), and
//! one granted after its `Release` is gone is let go at once. The browser releases a closed or
//! crashed tab's locks itself. Without Web Locks (an insecure context, an old engine) nothing is
//! coordinated across tabs: callers then act as if they were alone.

use js_sys::futures::JsFuture;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// `navigator.locks`, when this context has it.
pub(crate) fn web_locks() -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))
        .and_then(|n| Reflect::get(&n, &JsValue::from_str("locks")))
        .ok()
        .filter(JsValue::is_object)
}

/// `navigator.locks.request`, bound to nothing (call it with `locks` as `this`).
pub(crate) fn request_fn(locks: &JsValue) -> Option<Function> {
    Reflect::get(locks, &JsValue::from_str("request"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
}

/// Resolves the promise that keeps a Web Lock held, when dropped.
pub(crate) struct Release(pub(crate) Function);

impl Drop for Release {
    fn drop(&mut self) {
        let _ = self.0.call0(&JsValue::NULL);
    }
}

/// A promise and the function that resolves it.
pub(crate) fn deferred() -> Option<(Promise, Function)> {
    let mut resolve: Option<Function> = None;
    let promise = Promise::new(&mut |r, _| resolve = Some(r));
    resolve.map(|r| (promise, r))
}

/// Outcome of [`try_hold`].
pub(crate) enum Held {
    /// This context holds the lock until the [`Release`] is dropped.
    Mine(Release),
    /// Another tab, window or worker of this origin holds it.
    Elsewhere,
    /// No Web Locks here: nothing to coordinate with.
    Unsupported,
}

/// Takes the lock `name` if no one holds it (`ifAvailable`), without waiting for it.
pub(crate) async fn try_hold(name: String) -> Held {
    let (Some(locks), Some((held, release)), Some((got, granted))) =
        (web_locks(), deferred(), deferred())
    else {
        return Held::Unsupported;
    };
    let Some(request) = request_fn(&locks) else {
        return Held::Unsupported;
    };
    // From here the lock is let go however this future ends.
    let release = Release(release);
    let cb = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        let mine = !lock.is_null();
        let _ = granted.call1(&JsValue::NULL, &JsValue::from_bool(mine));
        if mine {
            held.into()
        } else {
            JsValue::UNDEFINED
        }
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &JsValue::from_str("ifAvailable"), &JsValue::TRUE);
    if request
        .call3(&locks, &JsValue::from_str(&name), &options, &cb)
        .is_err()
    {
        return Held::Unsupported;
    }
    match JsFuture::from(got).await.map(|v| v.as_bool()) {
        Ok(Some(true)) => Held::Mine(release),
        Ok(Some(false)) => Held::Elsewhere,
        _ => Held::Unsupported,
    }
}

/// Asks for the lock `name` and keeps it once granted, until the [`Release`] is dropped; does
/// not wait for it (for a name no one else can know yet, granted at once).
pub(crate) fn hold(name: &str) -> Option<Release> {
    let locks = web_locks()?;
    let request = request_fn(&locks)?;
    let (held, release) = deferred()?;
    let cb = Closure::once_into_js(move |_lock: JsValue| -> JsValue { held.into() });
    request.call2(&locks, &JsValue::from_str(name), &cb).ok()?;
    Some(Release(release))
}
