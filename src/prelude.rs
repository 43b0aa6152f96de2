//! The `alloc` names the std prelude would give, for the `no_std` signing-only build. Modules of
//! the signing core `use crate::prelude::*;` (a no-op with std).
#![allow(unused_imports)]

pub(crate) use alloc::borrow::ToOwned;
pub(crate) use alloc::boxed::Box;
pub(crate) use alloc::string::{String, ToString};
pub(crate) use alloc::vec;
pub(crate) use alloc::vec::Vec;
