//! History store.
