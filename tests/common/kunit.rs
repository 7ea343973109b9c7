//! The mm KUnit suites of matrices/kunit-mm.toml, as 6.12 runs them: tests/kunit.rs
//! (x86_64) and tests/full.rs (arm64, riscv64) check every case.

use serde_json::Value;

/// `suite: case status` for every case of the boot's KUnit run.
pub fn cases(r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for s in r["kunit"]["suites"].as_array().expect("kunit suites") {
        for c in s["subtests"].as_array().unwrap() {
            out.push(format!(
                "{}.{} {}",
                s["name"].as_str().unwrap(),
                c["name"].as_str().unwrap(),
                c["status"].as_str().unwrap()
            ));
        }
    }
    out
}

/// Every case of the three suites, in the order 6.12 runs them (measured: the DAMON suites
/// first). test_kfree_rcu skips itself when built in ("can't do kfree_rcu() when test is
/// built-in").
pub const SKIPPED: &str = "slub_test.test_kfree_rcu";
pub const CASES: [&str; 30] = [
    "damon.damon_test_target",
    "damon.damon_test_regions",
    "damon.damon_test_aggregate",
    "damon.damon_test_split_at",
    "damon.damon_test_merge_two",
    "damon.damon_test_merge_regions_of",
    "damon.damon_test_split_regions_of",
    "damon.damon_test_ops_registration",
    "damon.damon_test_set_regions",
    "damon.damon_test_nr_accesses_to_accesses_bp",
    "damon.damon_test_update_monitoring_result",
    "damon.damon_test_set_attrs",
    "damon.damon_test_moving_sum",
    "damon.damos_test_new_filter",
    "damon.damos_test_filter_out",
    "damon.damon_test_feed_loop_next_input",
    "damon-operations.damon_test_three_regions_in_vmas",
    "damon-operations.damon_test_apply_three_regions1",
    "damon-operations.damon_test_apply_three_regions2",
    "damon-operations.damon_test_apply_three_regions3",
    "damon-operations.damon_test_apply_three_regions4",
    "damon-operations.damon_test_split_evenly",
    "slub_test.test_clobber_zone",
    "slub_test.test_next_pointer",
    "slub_test.test_first_word",
    "slub_test.test_clobber_50th_byte",
    "slub_test.test_clobber_redzone_free",
    "slub_test.test_kmalloc_redzone_access",
    "slub_test.test_kfree_rcu",
    "slub_test.test_leak_destroy",
];
