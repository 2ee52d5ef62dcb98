//! Build-time switch of the test suite: the PostgreSQL variants of the API tests are compiled as
//! ignored (reported as skipped, with the reason) unless PostgreSQL is asked for:
//! `TEST_POSTGRES=1` (set by `scripts/with-postgres`, beside `TEST_POSTGRES_URL`) or
//! `REQUIRE_POSTGRES=1` (CI, where they then fail when PostgreSQL is missing). A flag rather than
//! the URL itself, so that a new throwaway server's port does not rebuild the crate.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=TEST_POSTGRES");
    println!("cargo::rerun-if-env-changed=REQUIRE_POSTGRES");
    println!("cargo::rerun-if-changed=build.rs");
    let on = |name: &str| std::env::var(name).is_ok_and(|v| v == "1");
    if on("TEST_POSTGRES") || on("REQUIRE_POSTGRES") {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
