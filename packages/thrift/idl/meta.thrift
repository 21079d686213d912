// The Meta service every TChannel Thrift server answers (uber/tchannel
// idl/github.com/uber/tchannel/meta.thrift). Field ids and types are the wire
// contract shared with tchannel-go and tchannel-node; only `health` is served
// by @tchannel/thrift.

// Why a process reports itself unhealthy.
enum HealthState {
    REFUSING = 0,
    ACCEPTING = 1,
    STOPPING = 2,
    STOPPED = 3,
}

// What the caller asks: is the process up (PROCESS), or does it want traffic (TRAFFIC)?
enum HealthRequestType {
    PROCESS = 0,
    TRAFFIC = 1,
}

struct HealthRequest {
    1: optional HealthRequestType type
}

struct HealthStatus {
    1: required bool ok
    2: optional string message
    3: optional HealthState state
}

service Meta {
    // The argument may be absent: then it is a PROCESS check.
    HealthStatus health(1: HealthRequest hr)
}
