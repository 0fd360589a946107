//! Who holds a poll lease: `host:pid:start`, the process's host name, its
//! id and its start time (clock ticks since boot, from `/proc`). A lease
//! held by a process of this very host that no longer runs — no such pid,
//! or a pid reused by a process started at another time — is provably
//! dead: its lease is taken at once rather than waited out (a `kill -9`
//! followed by a restart would otherwise poll nothing for minutes). On
//! other hosts, or where `/proc` says nothing, nothing is assumed: the
//! lease runs out on its own.

/// This process's name in leases.
pub(super) fn this_process() -> String {
    let pid = std::process::id();
    format!(
        "{}:{pid}:{}",
        host_name(),
        start_ticks(pid).unwrap_or_default()
    )
}

/// Whether `owner` names a process of this host that is gone.
pub(super) fn is_dead(owner: &str) -> bool {
    let mut parts = owner.rsplitn(3, ':');
    let (Some(start), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return false;
    };
    if host != host_name() || start == 0 || !std::path::Path::new("/proc/self/stat").exists() {
        return false;
    }
    start_ticks(pid) != Some(start)
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Field 22 of `/proc/PID/stat`: when the process started, in clock
/// ticks since boot. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted after its closing parenthesis.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_gone_pid_of_this_host_is_dead() {
        let me = this_process();
        assert!(!is_dead(&me), "{me}");
        let host = host_name();
        // A pid above the kernel's limit never runs.
        assert!(is_dead(&format!("{host}:4194399:12345")));
        // A live pid started at another time is a reused pid.
        let pid = std::process::id();
        assert!(is_dead(&format!("{host}:{pid}:1")));
        // Another host's process, or a name we cannot read: not ours to judge.
        assert!(!is_dead("elsewhere.example:4194399:12345"));
        assert!(!is_dead("1234-abcd"));
    }
}
