//! signatures crate.
