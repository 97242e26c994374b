//! Customer lifetime value from the standard "buy till you die" probability models: the
//! BG/NBD purchase model (Fader, Hardie & Lee 2005, Marketing Science 24(2)), the Pareto/NBD
//! purchase model (Schmittlein, Morrison & Colombo 1987) and the
//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005, JMR 42(4)), fitted by maximum
//! likelihood, with standard errors, P(alive), expected purchases and discounted CLV.
//!
//! Numbers in, numbers out: purchases come in as (customer, day, amount) and summaries go out;
//! no DataFusion, no file access. [`model_file::ClvModelFile`] is the typed record of a fit
//! (`clv/model.json`), converted to and from bytes here and read and written by the callers. The special functions (log-gamma, digamma) are `statrs`'s; the
//! optimiser is `argmin`'s L-BFGS; the Gauss hypergeometric function is written here (see
//! `special.rs`).

// Index loops over parameter vectors mirror the formulas (gradient component i, Hessian
// entry (i, j)); iterator chains would hide them.
#![allow(clippy::needless_range_loop)]

pub mod bgbb;
pub mod bgnbd;
pub mod clv;
pub mod covariates;
pub mod error;
pub mod fit;
pub mod gamma_gamma;
pub mod matrix;
pub mod mbgnbd;
pub mod model_file;
pub mod nan_as_null;
pub mod numerical_fit;
pub mod pareto_nbd;
pub mod purchase_model;
pub mod returns;
pub mod scorecard;
pub mod special;
pub mod summary;
pub mod uncertainty;

pub use error::{Error, Result};
