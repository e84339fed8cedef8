//! The program's `msg!` lines: natively they are printed to stdout by whichever host runs the
//! program in this process (the embedded bank, the local validator). Commands whose stdout is
//! for a person or a script move them out of the way.

use std::io::Write;

/// Sends whatever else writes to stdout (the program's `msg!` lines, which the native bank
/// prints) to /dev/null, and returns a handle on the real stdout for the demo's own lines.
#[cfg(unix)]
pub fn quiet_stdout() -> Option<std::fs::File> {
    use std::os::fd::FromRawFd;
    let _ = std::io::stdout().flush();
    // SAFETY: plain descriptor juggling on fds this process owns; `saved` is a fresh
    // descriptor handed to exactly one `File`.
    unsafe {
        let saved = libc::dup(1);
        if saved < 0 {
            return None;
        }
        let devnull = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if devnull < 0 {
            libc::close(saved);
            return None;
        }
        libc::dup2(devnull, 1);
        libc::close(devnull);
        Some(std::fs::File::from_raw_fd(saved))
    }
}

#[cfg(not(unix))]
pub fn quiet_stdout() -> Option<std::fs::File> {
    None
}
