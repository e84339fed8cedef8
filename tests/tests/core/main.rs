//! Ballast's integration suite: the real program in a real bank, one module per capability.

mod smoke;
