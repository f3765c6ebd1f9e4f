//! The pipeline over a whole site: plan every output, decide what is fresh,
//! build the rest in parallel, report; `check` and `clean` over the same plan.

pub mod build;
pub mod cache;
pub mod check;
pub mod clean;
pub mod fresh;
pub mod plan;
pub mod report;
