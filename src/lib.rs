//! sipas: the SIPAS citizen-satisfaction service as a library; `main.rs` is a thin CLI over it.
//!
//! Layout (dependencies point inward): `http` → `domain`, `persistence`, `stats`, `export`;
//! `export` → `persistence`, `domain`; `persistence` → `domain`. `domain` and `stats` import
//! neither actix nor sea-orm; `export` no actix.

pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod domain;
pub mod email;
pub mod error;
pub mod export;
pub mod http;
pub mod maintenance;
pub mod persistence;
pub mod secret_key;
pub mod sms;
pub mod startup;
pub mod state;
pub mod stats;
pub mod telemetry;
