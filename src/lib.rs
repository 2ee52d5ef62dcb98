//! network-directory: the GraphQL backend of the participant directory of the Dutch network
//! "Radicale vernieuwing langdurige ggz".
//!
//! The crate is a library (what the binary and the tests use) plus a thin binary.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod directory;
pub mod entity;
pub mod error;
pub mod graphql;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod privacy;
pub mod telemetry;
pub mod text;
pub mod vocab;

pub use app::App;
pub use config::Config;
pub use graphql::sdl;
