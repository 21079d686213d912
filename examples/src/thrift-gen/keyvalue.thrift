// The IDL of examples/src/thrift-example.ts. Regenerate the code beside it with
// `npx -y pnpm@12.4.2 --filter @tchannel/thrift gen` (needs the Thrift compiler).

exception NotFound {
    1: required string key
}

struct Entry {
    1: required string key
    2: required string value
    3: optional list<string> tags
}

service KeyValue {
    Entry get(1: string key) throws (1: NotFound notFound)
    void put(1: Entry entry)
    list<Entry> find(1: string prefix)
}
