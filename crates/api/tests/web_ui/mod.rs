//! Shared helpers of the web UI tests: a running `kho serve` on a fresh store.
#![allow(dead_code, unused_imports)]

pub mod cdp;

#[path = "../common/server.rs"]
mod server;

pub use server::*;
