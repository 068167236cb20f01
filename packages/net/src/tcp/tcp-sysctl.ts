// The TCP sysctls of one network namespace (struct netns_ipv4's sysctl_tcp_*, and the
// net.core buffer limits TCP reads), with the values this machine's Linux 6.18 has in a
// fresh namespace (recorded with every wire trace in packages/net/test/golden/tcp-wire.json)
// and the 4.17 profile's where they differ.

export interface TcpSysctls {
  /** net.ipv4.tcp_timestamps: 1 offers and accepts RFC 7323 timestamps, 0 neither. */
  tcpTimestamps: 0 | 1;
  /** net.ipv4.tcp_sack: offer and accept SACK (RFC 2018). */
  tcpSack: 0 | 1;
  /** net.ipv4.tcp_dsack: report duplicates as D-SACK blocks (RFC 2883). */
  tcpDsack: 0 | 1;
  /** net.ipv4.tcp_window_scaling */
  tcpWindowScaling: 0 | 1;
  /** net.ipv4.tcp_rmem: min, default (a new socket's sk_rcvbuf), max (autotuning's limit). */
  tcpRmem: readonly [number, number, number];
  /** net.ipv4.tcp_wmem: min, default (a new socket's sk_sndbuf), max. */
  tcpWmem: readonly [number, number, number];
  /** net.core.rmem_max / wmem_max: what SO_RCVBUF / SO_SNDBUF may ask for (then doubled). */
  rmemMax: number;
  wmemMax: number;
  /** net.ipv4.tcp_app_win: 1/2^n of the window kept for the application (31: one MSS). */
  tcpAppWin: number;
  /** net.ipv4.tcp_moderate_rcvbuf: receive-buffer autotuning (tcp_rcv_space_adjust). */
  tcpModerateRcvbuf: 0 | 1;
  /** net.ipv4.tcp_slow_start_after_idle: cwnd restarts after an idle RTO (RFC 2861). */
  tcpSlowStartAfterIdle: 0 | 1;
  /** net.ipv4.tcp_autocorking */
  tcpAutocorking: 0 | 1;
  /** net.ipv4.tcp_syn_retries, tcp_synack_retries, tcp_retries2 */
  tcpSynRetries: number;
  /** net.ipv4.tcp_syn_linear_timeouts: the first SYN retransmissions that keep the initial
   * RTO before the backoff (6.18: 4; 4.17 had none). */
  tcpSynLinearTimeouts: number;
  tcpSynackRetries: number;
  tcpRetries2: number;
  /** net.ipv4.tcp_syncookies: 1 answers a SYN with a cookie (no request kept) once a
   * listener holds more requests than its backlog; 2 always; 0 drops the SYN instead. */
  tcpSyncookies: 0 | 1 | 2;
  /** net.ipv4.tcp_abort_on_overflow: 1 resets a connection whose final ACK finds the accept
   * queue full; 0 (the default) drops that ACK, so the peer's next one tries again. */
  tcpAbortOnOverflow: 0 | 1;
  /** net.ipv4.tcp_invalid_ratelimit, ms: the least time between two ACKs to out-of-window
   * segments (tcp_oow_rate_limited), or between two challenge ACKs. */
  tcpInvalidRatelimit: number;
  /** net.ipv4.tcp_fin_timeout, ns */
  tcpFinTimeout: number;
  /** net.ipv4.tcp_pingpong_thresh: replies that make a connection interactive. */
  tcpPingpongThresh: number;
  /** net.ipv4.tcp_comp_sack_nr, tcp_comp_sack_delay_ns, tcp_comp_sack_slack_ns: SACK
   * compression — after three duplicate ACKs in a row, at most this many are held back, for
   * at most 5% of the RTT and this delay (the hrtimer's slack on top). */
  tcpCompSackNr: number;
  tcpCompSackDelayNs: number;
  tcpCompSackSlackNs: number;
  /** net.ipv4.tcp_frto: F-RTO (RFC 5682), telling a spurious timeout from a real one (2:
   * the SACK-enhanced version). */
  tcpFrto: number;
  /** net.ipv4.tcp_early_retrans: 3 sends tail loss probes (RACK-TLP, RFC 8985); 0 does not. */
  tcpEarlyRetrans: number;
  /** net.ipv4.tcp_recovery: 1 detects loss with RACK (RFC 8985); 0 by duplicate ACKs. */
  tcpRecovery: number;
  /** net.ipv4.tcp_congestion_control: what new sockets use (upstream Linux's default, cubic;
   * this machine runs bbr). net.ipv4.tcp_available_congestion_control lists the others. */
  tcpCongestionControl: string;
  /** net.ipv4.tcp_ecn: 0 off, 1 ask for ECN in the SYN and accept it, 2 only accept it when
   * the peer asks (Linux's default). */
  tcpEcn: 0 | 1 | 2;
}

const SEC = 1_000_000_000;

/** This machine's values in a fresh namespace (Linux 6.18). */
export function tcpSysctlDefaults(profile: '6.18' | '4.17'): TcpSysctls {
  return {
    tcpTimestamps: 1,
    tcpSack: 1,
    tcpDsack: 1,
    tcpWindowScaling: 1,
    // 4.17: tcp_rmem[2] was 6 MiB (window scale 7).
    tcpRmem: profile === '4.17' ? [4096, 131072, 6291456] : [4096, 131072, 33554432],
    tcpWmem: [4096, 16384, 4194304],
    // This machine's net.core.rmem_max / wmem_max (4 MiB); 4.17 had 212992.
    rmemMax: profile === '4.17' ? 212992 : 4194304,
    wmemMax: profile === '4.17' ? 212992 : 4194304,
    tcpAppWin: 31,
    tcpModerateRcvbuf: 1,
    tcpSlowStartAfterIdle: 1,
    tcpAutocorking: 1,
    tcpSynRetries: 6,
    tcpSynLinearTimeouts: profile === '4.17' ? 0 : 4,
    tcpSynackRetries: 5,
    tcpRetries2: 15,
    tcpSyncookies: 1,
    tcpAbortOnOverflow: 0,
    tcpInvalidRatelimit: 500,
    tcpFinTimeout: 60 * SEC,
    tcpPingpongThresh: 1,
    tcpCompSackNr: 44,
    tcpCompSackDelayNs: 1_000_000,
    tcpCompSackSlackNs: 100_000,
    tcpFrto: 2,
    tcpEarlyRetrans: 3,
    tcpRecovery: 1,
    tcpCongestionControl: 'cubic',
    tcpEcn: 2,
  };
}
