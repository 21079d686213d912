// The service the unit tests (and the tchannel-node interop tests) exercise: a key-value store
// with a base service, declared exceptions, void and oneway methods, and a method whose
// arguments and result use every container and most base types.

enum Color {
    RED = 1,
    GREEN = 2,
    BLUE = 3,
}

exception KeyNotFound {
    1: required string key
}

exception InvalidValue {
    1: required string message
    2: optional i32 code
}

struct Point {
    1: required double x
    2: required double y
}

struct Shape {
    1: required string name
    2: required list<Point> points
    3: optional map<string, i32> counts
    4: optional set<string> tags
    5: optional Color color
    6: optional bool filled
    7: optional Shape inner
}

service BaseService {
    bool isHealthy()
    string echo(1: string value)
}

service KeyValue extends BaseService {
    string get(1: string key) throws (1: KeyNotFound notFound)
    void put(1: string key, 2: string value) throws (1: InvalidValue invalid)
    i32 add(1: i32 a, 2: i32 b)
    void clear()
    Shape transform(1: Shape shape, 2: list<Shape> extra, 3: map<string, Point> byName, 4: double scale)
    oneway void notify(1: string event)
}

// Types the tchannel-node peer cannot model the same way (int64 as node-int64, binary), checked
// only between our own client and server.
struct Blob {
    1: required i64 id
    2: required binary data
    3: optional list<i64> more
    4: optional i8 small
    5: optional i16 medium
}

service Blobs {
    Blob roundTrip(1: Blob blob)
    Blob find(1: i64 id) throws (1: KeyNotFound notFound, 2: InvalidValue invalid)
}
