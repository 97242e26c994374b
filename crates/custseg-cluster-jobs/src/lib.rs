//! What custseg does around each job it sends to a Ballista cluster, on the client side:
//!
//! - [`ReleasingPlanner`] wraps Ballista's query planner so that every job asks the scheduler
//!   to remove its shuffle files once its result is read ([`jobs`](crate::ReleasingPlanner)),
//!   and fails with a clear error once it makes no progress for a set time (`stall`);
//! - a job whose result is dropped before its end is cancelled (`abandoned`), and
//!   [`settle_abandoned_jobs`] lets the binary wait for those cancels before it exits;
//! - `scheduler` is the one gRPC client the three share.
//!
//! Written here because Ballista's client has none of the three. The cluster's own processes
//! (scheduler, executor) are in `custseg-cluster`; the session that installs the planner is
//! built in `custseg-data`'s `engine`. This crate must never depend on custseg's data,
//! model or application crates: it knows jobs, not customers.

mod abandoned;
mod jobs;
mod scheduler;
mod stall;

pub use jobs::ReleasingPlanner;

/// Waits up to `limit` for the cancel requests of abandoned cluster jobs to be answered;
/// returns how many were still pending. Call it once, before the process exits.
pub fn settle_abandoned_jobs(limit: std::time::Duration) -> usize {
    abandoned::settle(limit)
}
