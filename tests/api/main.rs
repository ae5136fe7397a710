//! The one integration-test binary: every test talks to the real application over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod agencies;
mod agency_entry;
mod anonymity;
mod citizen_page;
mod contention;
mod dashboard;
mod demo;
mod dossiers;
mod export;
mod forms;
mod helpers;
mod invitations;
mod keys;
mod limits;
mod months;
mod nodes;
mod operations;
mod pages;
mod process;
mod responses;
mod results;
mod scores;
mod secrets;
mod surveys;
