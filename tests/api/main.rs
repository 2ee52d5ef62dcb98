//! The API tests: one binary, so it links once. Each topic module tests the real server over
//! HTTP on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod auth;
mod authorization;
mod cache;
mod defects;
mod events;
mod faults;
mod feed;
mod graphiql;
mod hostile;
mod keys;
mod limits;
mod nplus1;
mod pagination;
mod plans;
mod privacy;
mod protection;
mod read;
mod rows;
mod schema;
mod search;
mod seed;
mod server;
mod subjects;
mod subtree;
mod tokens;
mod visibility;
mod writes;
