//! migbot: a help bot for labour migrants in Kazakhstan and the EAEU.
//!
//! The pure core (`knowledge`, `text`, `matcher`, `present`, `eval`) never does I/O; the adapters around it
//! (`files`, `store`, `app`, `cli`) read files, talk to sled and the terminal. See ARCHITECTURE.md.

pub mod app;
pub mod cli;
pub mod eval;
pub mod files;
pub mod knowledge;
pub mod matcher;
pub mod ops;
pub mod present;
pub mod review;
pub mod stats;
pub mod store;
pub mod telegram;
pub mod text;
