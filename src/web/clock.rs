//! The only clock reads of the library.

use crate::error::{Error, Result};
use crate::time::UnixTime;

/// Now, from `Date.now()`.
pub(crate) fn now() -> Result<UnixTime> {
    UnixTime::from_millis(super::js::Date::now())
        .ok_or_else(|| Error::invalid("signTime", "the system clock is outside years 1970-9999"))
}
