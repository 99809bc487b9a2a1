//! The system around the wings: protocol hygiene, the command line, the dataset generator and
//! the fuzzing regressions.

mod cli;
mod dataset;
mod fuzz_regressions;
mod protocol;
