//! Integration tests of custseg-data: one binary, one module per concern.

mod bad_input;
mod cleaning;
mod download;
mod features;
mod real_data;
mod support;
