//! The schema: `schema.graphql` is current, and everything in it is described.

use serde_json::{Value, json};

use crate::common::TestApp;

#[test]
fn schema_file_matches_the_code() {
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql exists");
    assert!(
        file == network_directory::sdl(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_is_described() {
    let app = TestApp::sqlite().await;
    let data = app
        .data(
            r#"{ __schema { types {
                 name kind description
                 fields { name description args { name description } }
                 inputFields { name description }
                 enumValues { name description }
               } } }"#,
            json!({}),
        )
        .await;
    let described = |v: &Value| {
        v["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    let mut missing = Vec::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Boolean", "ID", "Float"].contains(&name) {
            continue;
        }
        if !described(ty) {
            missing.push(name.to_owned());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            if !described(field) {
                missing.push(format!("{name}.{}", field["name"]));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if !described(arg) {
                    missing.push(format!("{name}.{}({})", field["name"], arg["name"]));
                }
            }
        }
        for list in ["inputFields", "enumValues"] {
            for item in ty[list].as_array().into_iter().flatten() {
                if !described(item) {
                    missing.push(format!("{name}.{}", item["name"]));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undescribed: {missing:?}");
}
