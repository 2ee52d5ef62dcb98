//! The directory's core, below the faces (GraphQL, HTTP routes, CLI commands, jobs) and above
//! the database: what every face shares. It never imports the GraphQL or HTTP layers.

pub mod id;
