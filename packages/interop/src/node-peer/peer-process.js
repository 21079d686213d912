'use strict';

// A tchannel-node (npm `tchannel@4.0.1`) peer that runs in a child process forked by
// node-peer.ts and is driven over the Node IPC channel.
//
// Parent -> child:  { id, cmd, ...params }
// Child  -> parent: { id, ok: true, value } | { id, ok: false, error: { name, message, stack } }
//                   { event: 'ready', pid }            once, after start-up
//                   { event: 'uncaught', error }       uncaught exception / unhandled rejection
// Buffers cross IPC as base64 strings.
//
// listen also serves tchannel-node's json scheme under a second service, `jsonServiceName`
// (default 'node-json-server'): see jsonEndpoints.
// It also registers streamed endpoints (`{ streamed: true }`) next to the raw ones: see
// streamEndpoints.
//
// Commands:
//   ping                                   -> { pid }
//   listen { checksumType?, serviceName?, requireAs?, requireCn?, jsonServiceName? } -> { hostPort }
//   call { hostPort, service, arg1, arg2, arg3, timeout?, checksumType?, headers?,
//          retryLimit?, retryFlags? }      -> { result: {...} } | { error: {...} }
//   callJson { hostPort, service, endpoint, head?, body?, timeout?, headers? }
//                                          -> { result: { ok, head, body, headers } } | { error: {...} }
//          (tchannel-node's own json scheme, as/json.js; head/body are JSON values, not base64;
//          an absent head is sent as an empty arg2, as tchannel-node does for `undefined`)
//   listenThrift { idl, thriftService, serviceName? } -> { hostPort, serviceName, endpoints }
//          (tchannel-node's thrift scheme, as/thrift.js, on a channel of its own: the methods of
//          `thriftService` in `idl` that thriftHandlers implements, and Meta::health)
//   callThrift { hostPort, service, idl, endpoint, head?, body?, timeout?, headers? }
//                                          -> { result: { ok, head, body, typeName, headers } } | { error: {...} }
//          (body: the method's arguments by name; the result body is the success value, or
//          the exception named by typeName when ok is false)
//   setThriftHealth { ok, message? }       -> {} (what listenThrift's Meta::health answers)
//   callStreamed { hostPort, service, endpoint, arg2?, arg3? | body?, timeout?, headers?, keepBody? }
//                                          -> { result: {...} } | { error: {...} }
//          (a streamed request, tchannel-node's StreamingOutRequest: arg3 whole, or `body`
//          { chunks, size, gapMs, seed } written chunk by chunk; the response's arg3 is read as it
//          arrives, each chunk timed: see "Streaming" below)
//   streamRecords { clear? }               -> [what the streamed endpoints saw and wrote]
//   served { clear? }                      -> [served call records]
//   logs { clear? }                        -> [tchannel-node log entries]
//   hyperbahnAdvertise { routers, serviceName?, advertiseInterval?, advertisementTimeout? }
//                                          -> { hostPort, result: { ok, head, body } } | { error: {...} }
//          (tchannel-node's HyperbahnClient, hyperbahn-client.js, on a listening channel of its
//          own, hardFail: answers at the first `advertised` event or its advertisement timeout;
//          it goes on re-advertising every advertiseInterval ± half of it)
//   hyperbahnUnadvertise {}                -> { advertisedCount } | { error: {...} }
//          (HyperbahnClient.unadvertise(), answered at its `unadvertised` event; then destroyed)
//   hyperbahnSeen { clear? }               -> [what the `ad`/`unad` json endpoints decoded]
//   close                                  -> {} and the process exits
//
// A failed tchannel call is an ordinary answer ({ error }), not a command failure; command
// failures are reserved for harness problems (bad parameters, listen twice, ...).

var TChannel = require('tchannel');
var Checksum = require('tchannel/v2/checksum');
var RetryFlags = require('tchannel/retry-flags.js');
var tchannelErrors = require('tchannel/errors');

var MAX_RECORDS = 1000;
var DEFAULT_CALL_TIMEOUT = 2000;
var echoToStderr = Boolean(process.env.TCHANNEL_NODE_PEER_DEBUG);

// ---------------------------------------------------------------------------------------------
// IPC plumbing

function send(message) {
    if (!process.connected || typeof process.send !== 'function') {
        return;
    }
    try {
        process.send(message);
    } catch (err) {
        // The parent went away between the connected check and send; nothing to report to.
        if (echoToStderr) {
            process.stderr.write('node-peer: IPC send failed: ' + String(err) + '\n');
        }
    }
}

function describeThrown(err) {
    if (err instanceof Error) {
        return {
            name: err.name,
            message: err.message,
            stack: typeof err.stack === 'string' ? err.stack : '',
            type: typeof err.type === 'string' ? err.type : undefined
        };
    }
    return { name: 'NonError', message: String(err), stack: '' };
}

process.on('uncaughtException', function onUncaught(err) {
    process.stderr.write('node-peer: uncaught exception: ' + (err && err.stack || String(err)) + '\n');
    send({ event: 'uncaught', kind: 'uncaughtException', error: describeThrown(err) });
});

process.on('unhandledRejection', function onUnhandled(reason) {
    process.stderr.write('node-peer: unhandled rejection: ' + String(reason) + '\n');
    send({ event: 'uncaught', kind: 'unhandledRejection', error: describeThrown(reason) });
});

// If the parent dies (or disconnects) there is nobody left to drive us: leave.
process.on('disconnect', function onDisconnect() {
    process.exit(0);
});

process.on('message', function onMessage(msg) {
    if (!msg || typeof msg !== 'object' || typeof msg.id !== 'number' || typeof msg.cmd !== 'string') {
        send({ event: 'uncaught', kind: 'badMessage', error: { name: 'TypeError', message: 'malformed IPC message', stack: '' } });
        return;
    }
    var id = msg.id;
    var replied = false;
    function reply(value) {
        if (replied) return;
        replied = true;
        send({ id: id, ok: true, value: value === undefined ? null : value });
    }
    function fail(err) {
        if (replied) return;
        replied = true;
        send({ id: id, ok: false, error: describeThrown(err) });
    }
    try {
        var handler = commands[msg.cmd];
        if (!handler) {
            throw new Error('unknown command ' + JSON.stringify(msg.cmd));
        }
        handler(msg, reply, fail);
    } catch (err) {
        fail(err);
    }
});

// ---------------------------------------------------------------------------------------------
// Logging: tchannel-node wants a logger with debug/info/warn/error/fatal. We record entries so
// a test can fetch them (the `logs` command) instead of printing them.

var logs = [];

function summarize(value, depth) {
    if (value === null || value === undefined) return value;
    var t = typeof value;
    if (t === 'string' || t === 'number' || t === 'boolean') return value;
    if (Buffer.isBuffer(value)) return { buffer: value.toString('base64') };
    if (value instanceof Error || (t === 'object' && typeof value.type === 'string' && typeof value.message === 'string')) {
        return { type: value.type, name: value.name, message: value.message };
    }
    if (depth <= 0 || t !== 'object') return '[' + t + ']';
    if (Array.isArray(value)) return value.slice(0, 10).map(function each(v) { return summarize(v, depth - 1); });
    var out = {};
    var keys = Object.keys(value).slice(0, 40);
    for (var i = 0; i < keys.length; i++) {
        var v = value[keys[i]];
        if (typeof v === 'function') continue;
        out[keys[i]] = summarize(v, depth - 1);
    }
    return out;
}

function makeLogger(source) {
    function level(name) {
        return function log(msg, meta) {
            var entry = { source: source, level: name, msg: String(msg), meta: summarize(meta, 2) || {} };
            logs.push(entry);
            if (logs.length > MAX_RECORDS) logs.shift();
            if (echoToStderr) {
                process.stderr.write('node-peer[' + source + '] ' + name + ': ' + entry.msg + ' ' + JSON.stringify(entry.meta) + '\n');
            }
        };
    }
    return {
        debug: level('debug'),
        info: level('info'),
        warn: level('warn'),
        error: level('error'),
        fatal: level('fatal')
    };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function toBuffer(value, what) {
    if (value === undefined || value === null) return Buffer.alloc(0);
    if (typeof value !== 'string') throw new TypeError(what + ' must be a base64 string');
    return Buffer.from(value, 'base64');
}

function b64(value) {
    if (value === undefined || value === null) return '';
    if (Buffer.isBuffer(value)) return value.toString('base64');
    return Buffer.from(String(value), 'utf8').toString('base64');
}

function checksumTypeParam(value, what) {
    if (value === undefined || value === null) return null;
    if (value !== 0 && value !== 1 && value !== 2 && value !== 3) {
        throw new TypeError(what + ' must be 0, 1, 2 or 3');
    }
    return value;
}

function idHex(pair) {
    // tchannel-node keeps 64-bit ids as [hi32, lo32].
    if (!pair || pair.length !== 2) return '0000000000000000';
    var b = Buffer.alloc(8);
    b.writeUInt32BE(pair[0] >>> 0, 0);
    b.writeUInt32BE(pair[1] >>> 0, 4);
    return b.toString('hex');
}

function tracingToJSON(tracing) {
    if (!tracing) return null;
    return {
        spanid: idHex(tracing.spanid),
        parentid: idHex(tracing.parentid),
        traceid: idHex(tracing.traceid),
        flags: tracing.flags || 0
    };
}

function copyHeaders(headers) {
    var out = {};
    if (!headers) return out;
    var keys = Object.keys(headers);
    for (var i = 0; i < keys.length; i++) out[keys[i]] = String(headers[keys[i]]);
    return out;
}

function serializeCallError(err) {
    var out = {
        type: typeof err.type === 'string' ? err.type : 'unknown',
        name: typeof err.name === 'string' ? err.name : 'Error',
        message: typeof err.message === 'string' ? err.message : String(err),
        isErrorFrame: err.isErrorFrame === true
    };
    var codeName = null;
    try {
        codeName = tchannelErrors.classify(err);
    } catch (_) {
        codeName = null;
    }
    if (typeof codeName === 'string') out.codeName = codeName;
    if (typeof err.errorCode === 'number') out.errorCode = err.errorCode;
    return out;
}

// ---------------------------------------------------------------------------------------------
// Server side

var server = null;            // top channel
var serverSub = null;         // sub channel that owns the endpoints
var serverChecksumOverride = null;
var served = [];

function recordServed(req, arg2, arg3) {
    var rec = {
        service: req.serviceName,
        endpoint: req.endpoint,
        callerName: req.callerName,
        headers: copyHeaders(req.headers),
        checksumType: req.checksum ? req.checksum.type : null,
        ttl: req.timeout,
        tracing: tracingToJSON(req.tracing),
        flags: typeof req.flags === 'number' ? req.flags : 0,
        remoteAddr: req.remoteAddr || null,
        arg2Length: arg2 ? arg2.length : 0,
        arg3Length: arg3 ? arg3.length : 0
    };
    served.push(rec);
    if (served.length > MAX_RECORDS) served.shift();
    return rec;
}

function prepare(res) {
    res.headers.as = 'raw';
    if (serverChecksumOverride !== null) {
        // tchannel-node answers with the request's checksum type; the frame is built from
        // res.checksum.type at send time, so replacing it forces a different type.
        res.checksumType = serverChecksumOverride;
        res.checksum = new Checksum(serverChecksumOverride);
    }
}

function finished(req, res) {
    // e.g. the in-request already timed out and tchannel-node sent a Timeout error frame.
    return Boolean(res.end) || Boolean(req.err);
}

var endpoints = {
    echo: function echo(req, res, arg2, arg3) {
        prepare(res);
        res.sendOk(arg2, arg3);
    },
    slow: function slow(req, res, arg2, arg3) {
        var ms = parseInt(arg2.toString('utf8'), 10);
        if (!(ms >= 0)) ms = 0;
        setTimeout(function later() {
            if (finished(req, res)) return;
            prepare(res);
            res.sendOk(arg2, arg3);
        }, ms);
    },
    'app-error': function appError(req, res, arg2, arg3) {
        prepare(res);
        res.sendNotOk(Buffer.from('error-head'), arg3);
    },
    busy: function busy(req, res) {
        prepare(res);
        res.sendError('Busy', 'server busy');
    },
    declined: function declined(req, res) {
        prepare(res);
        res.sendError('Declined', 'server declined');
    },
    unexpected: function unexpected(req, res) {
        prepare(res);
        res.sendError('UnexpectedError', 'server unexpected error');
    },
    'bad-request': function badRequest(req, res) {
        prepare(res);
        res.sendError('BadRequest', 'server bad request');
    },
    headers: function headers(req, res, arg2) {
        prepare(res);
        var rec = served[served.length - 1];
        var body = {
            headers: rec.headers,
            checksumType: rec.checksumType,
            ttl: rec.ttl,
            service: rec.service,
            callerName: rec.callerName,
            tracing: rec.tracing
        };
        res.sendOk(arg2, Buffer.from(JSON.stringify(body), 'utf8'));
    }
};

// JSON endpoints, served with tchannel-node's TChannelAsJSON under `jsonServiceName`:
// handler(context, req, head, body, callback) answers callback(err, { ok, head, body }).
var jsonEndpoints = {
    // head and body back unchanged
    echo: function jsonEcho(context, req, head, body, callback) {
        callback(null, { ok: true, head: head, body: body });
    },
    // call res code 1 with the conventional { type, message } error body
    'app-error': function jsonAppError(context, req, head, body, callback) {
        callback(null, { ok: false, head: head, body: { type: 'my.error', message: 'my error happened' } });
    },
    // no head at all: tchannel-node then writes an empty arg2
    'no-head': function jsonNoHead(context, req, head, body, callback) {
        callback(null, { ok: true, body: body });
    },
    // what tchannel-node decoded, with its JavaScript types
    seen: function jsonSeen(context, req, head, body, callback) {
        callback(null, {
            ok: true,
            head: {},
            body: { head: head, body: body, headType: head === null ? 'null' : typeof head, as: req.headers.as }
        });
    },
    // a handler failure: tchannel-node answers an UnexpectedError frame
    'handler-error': function jsonHandlerError(context, req, head, body, callback) {
        callback(new Error('json handler failed'));
    },
    // a Hyperbahn router's advertise endpoints (serve them with jsonServiceName 'hyperbahn'):
    // record what was decoded and answer as Hyperbahn does, head null
    ad: function jsonAd(context, req, head, body, callback) {
        recordHyperbahnSeen('ad', req, head, body);
        callback(null, { ok: true, head: null, body: { connectionCount: HYPERBAHN_CONNECTION_COUNT } });
    },
    unad: function jsonUnad(context, req, head, body, callback) {
        recordHyperbahnSeen('unad', req, head, body);
        callback(null, { ok: true, head: null, body: {} });
    }
};

function registerJsonEndpoints(chan, serviceName) {
    var sub = chan.makeSubChannel({ serviceName: serviceName });
    var tchannelJSON = chan.TChannelAsJSON();
    // TChannelAsJSON.register only calls `register(name, handler)` and reads `logger` on what it
    // is given: this stand-in records each call in `served` before the json layer parses it.
    var recordingSub = {
        logger: sub.logger,
        register: function register(name, handler) {
            sub.register(name, function recorded(req, res, arg2, arg3) {
                recordServed(req, arg2, arg3);
                handler(req, res, arg2, arg3);
            });
        }
    };
    Object.keys(jsonEndpoints).forEach(function each(name) {
        var impl = jsonEndpoints[name];
        tchannelJSON.register(recordingSub, name, { endpoint: name }, function handle(context, req, head, body, callback) {
            try {
                impl(context, req, head, body, callback);
            } catch (err) {
                send({ event: 'uncaught', kind: 'handlerThrew', error: describeThrown(err) });
                callback(err);
            }
        });
    });
    return sub;
}

function listen(msg, reply, fail) {
    if (server) throw new Error('listen: already listening on ' + server.hostPort);
    serverChecksumOverride = checksumTypeParam(msg.checksumType, 'listen.checksumType');
    var serviceName = typeof msg.serviceName === 'string' && msg.serviceName ? msg.serviceName : 'node-server';
    var opts = { logger: makeLogger('server') };
    if (typeof msg.requireAs === 'boolean') opts.requireAs = msg.requireAs;
    if (typeof msg.requireCn === 'boolean') opts.requireCn = msg.requireCn;
    server = TChannel(opts);
    serverSub = server.makeSubChannel({ serviceName: serviceName });
    Object.keys(endpoints).forEach(function each(name) {
        var impl = endpoints[name];
        serverSub.register(name, function handle(req, res, arg2, arg3) {
            recordServed(req, arg2, arg3);
            try {
                impl(req, res, arg2, arg3);
            } catch (err) {
                send({ event: 'uncaught', kind: 'handlerThrew', error: describeThrown(err) });
                if (!finished(req, res)) res.sendError('UnexpectedError', 'handler threw: ' + String(err && err.message));
            }
        });
    });
    registerStreamEndpoints(serverSub);
    var jsonServiceName = typeof msg.jsonServiceName === 'string' && msg.jsonServiceName ? msg.jsonServiceName : 'node-json-server';
    registerJsonEndpoints(server, jsonServiceName);
    var listening = false;
    server.errorEvent.on(function onServerError(err) {
        if (listening) {
            send({ event: 'uncaught', kind: 'serverChannelError', error: describeThrown(err) });
        } else {
            fail(err);
        }
    });
    server.listen(0, '127.0.0.1', function onListening() {
        listening = true;
        reply({ hostPort: server.hostPort, serviceName: serviceName, jsonServiceName: jsonServiceName });
    });
}

// ---------------------------------------------------------------------------------------------
// Client side

var client = null;
var clientSubs = Object.create(null);
var jsonClient = null;        // tchannel-node's TChannelAsJSON for callJson

function clientFor(hostPort) {
    if (!client) {
        client = TChannel({ logger: makeLogger('client') });
    }
    var sub = clientSubs[hostPort];
    if (!sub) {
        // One sub channel per target whose only peer is that target, so a request goes
        // through TChannelRequest (waits for identification, applies timeout/retry rules)
        // without mixing up targets. The sub channel's own name never reaches the wire: the
        // call request carries the request's serviceName.
        sub = client.makeSubChannel({ serviceName: 'node-peer-target:' + hostPort, peers: [hostPort] });
        clientSubs[hostPort] = sub;
    }
    return sub;
}

function call(msg, reply) {
    if (typeof msg.hostPort !== 'string' || !msg.hostPort) throw new TypeError('call.hostPort must be a string');
    if (typeof msg.service !== 'string') throw new TypeError('call.service must be a string');
    var arg1 = toBuffer(msg.arg1, 'call.arg1');
    var arg2 = toBuffer(msg.arg2, 'call.arg2');
    var arg3 = toBuffer(msg.arg3, 'call.arg3');
    var checksumType = checksumTypeParam(msg.checksumType, 'call.checksumType');

    var headers = { as: 'raw', cn: 'node-client' };
    if (msg.headers && typeof msg.headers === 'object') {
        Object.keys(msg.headers).forEach(function each(k) { headers[k] = String(msg.headers[k]); });
    }

    var opts = {
        serviceName: msg.service,
        timeout: typeof msg.timeout === 'number' ? msg.timeout : DEFAULT_CALL_TIMEOUT,
        hasNoParent: true,
        retryLimit: typeof msg.retryLimit === 'number' ? msg.retryLimit : 1,
        headers: headers
    };
    if (checksumType === 0) {
        // `checksumType: 0` is falsy and tchannel-node turns it into its default (CRC32C);
        // only a Checksum object selects "none".
        opts.checksum = new Checksum(0);
    } else if (checksumType !== null) {
        opts.checksumType = checksumType;
    }
    if (msg.retryFlags && typeof msg.retryFlags === 'object') {
        opts.retryFlags = new RetryFlags(
            Boolean(msg.retryFlags.never),
            Boolean(msg.retryFlags.onConnectionError),
            Boolean(msg.retryFlags.onTimeout)
        );
    }

    var req = clientFor(msg.hostPort).request(opts);
    req.send(arg1, arg2, arg3, function onResult(err, res, resArg2, resArg3) {
        if (err) {
            reply({ error: serializeCallError(err) });
            return;
        }
        reply({
            result: {
                ok: Boolean(res.ok),
                code: typeof res.code === 'number' ? res.code : 0,
                arg2: b64(resArg2),
                arg3: b64(resArg3),
                headers: copyHeaders(res.headers),
                checksumType: res.checksum ? res.checksum.type : null
            }
        });
    });
}

// Plain data of a json response body. For ok: false tchannel-node hands back an Error rebuilt
// from the body (errors.ReconstructedError): its own enumerable fields are the body's plus
// `name` and `fullType`.
function jsonValue(value) {
    if (value instanceof Error) {
        var out = {};
        Object.keys(value).forEach(function each(k) { out[k] = value[k]; });
        out.message = value.message;
        return out;
    }
    return value === undefined ? null : value;
}

function callJson(msg, reply) {
    if (typeof msg.hostPort !== 'string' || !msg.hostPort) throw new TypeError('callJson.hostPort must be a string');
    if (typeof msg.service !== 'string') throw new TypeError('callJson.service must be a string');
    if (typeof msg.endpoint !== 'string') throw new TypeError('callJson.endpoint must be a string');

    var headers = { cn: 'node-client' };
    if (msg.headers && typeof msg.headers === 'object') {
        Object.keys(msg.headers).forEach(function each(k) { headers[k] = String(msg.headers[k]); });
    }
    var req = clientFor(msg.hostPort).request({
        serviceName: msg.service,
        timeout: typeof msg.timeout === 'number' ? msg.timeout : DEFAULT_CALL_TIMEOUT,
        hasNoParent: true,
        retryLimit: 1,
        headers: headers
    });
    if (!jsonClient) jsonClient = client.TChannelAsJSON();
    // `head` absent -> undefined -> empty arg2; tchannel-node asserts a body, so absent -> null.
    var head = Object.prototype.hasOwnProperty.call(msg, 'head') ? msg.head : undefined;
    var body = Object.prototype.hasOwnProperty.call(msg, 'body') ? msg.body : null;
    jsonClient.send(req, msg.endpoint, head, body, function onResult(err, res) {
        if (err) {
            reply({ error: serializeCallError(err) });
            return;
        }
        reply({
            result: {
                ok: Boolean(res.ok),
                head: jsonValue(res.head),
                body: jsonValue(res.body),
                headers: copyHeaders(res.headers)
            }
        });
    });
}

// ---------------------------------------------------------------------------------------------
// Thrift (tchannel-node's own thrift scheme, as/thrift.js with thriftrw, on an IDL the test sends)

var thriftServer = null;      // its own channel, so listen and listenThrift stay independent
var thriftStore = Object.create(null);
var thriftHealth = { ok: true };
var thriftClients = Object.create(null);   // TChannelAsThrift per IDL text, for callThrift

// Handlers of the KeyValue service of packages/thrift/test/idl/keyvalue.thrift, by method name.
// handler(head, args) -> { ok, body, typeName? }; thriftrw gives enums as their names. Each
// answer carries the request head back with `served: <method>`; a request header
// `fail: yes` makes the handler fail (tchannel-node then answers UnexpectedError).
var thriftHandlers = {
    isHealthy: function isHealthy() {
        return { ok: true, body: true };
    },
    echo: function echo(head, args) {
        return { ok: true, body: args.value };
    },
    get: function get(head, args) {
        if (!Object.prototype.hasOwnProperty.call(thriftStore, args.key)) {
            return { ok: false, typeName: 'notFound', body: { key: args.key } };
        }
        return { ok: true, body: thriftStore[args.key] };
    },
    put: function put(head, args) {
        if (args.value === '') {
            return { ok: false, typeName: 'invalid', body: { message: 'empty value for ' + args.key, code: 400 } };
        }
        thriftStore[args.key] = args.value;
        return { ok: true, body: null };
    },
    add: function add(head, args) {
        return { ok: true, body: (args.a + args.b) | 0 };
    },
    clear: function clear() {
        thriftStore = Object.create(null);
        return { ok: true, body: null };
    },
    // The same transformation as packages/thrift/test/keyvalue-handler.ts.
    transform: function transform(head, args) {
        var shape = args.shape;
        var scale = args.scale;
        var points = shape.points.concat(Object.keys(args.byName).map(function each(k) { return args.byName[k]; }))
            .map(function each(p) { return { x: p.x * scale, y: p.y * scale }; });
        var counts = { points: points.length, extra: args.extra.length };
        Object.keys(shape.counts || {}).forEach(function each(k) { counts[k] = shape.counts[k]; });
        var body = {
            name: shape.name + '*' + scale,
            points: points,
            counts: counts,
            tags: (shape.tags || []).concat(args.extra.map(function each(s) { return s.name; })),
            color: shape.color === 'RED' ? 'BLUE' : 'GREEN',
            filled: !shape.filled
        };
        if (args.extra.length > 0) body.inner = args.extra[0];
        return { ok: true, body: body };
    }
};

function listenThrift(msg, reply, fail) {
    if (thriftServer) throw new Error('listenThrift: already listening on ' + thriftServer.hostPort);
    if (typeof msg.idl !== 'string') throw new TypeError('listenThrift.idl must be the IDL text');
    if (typeof msg.thriftService !== 'string') throw new TypeError('listenThrift.thriftService must be a string');
    var serviceName = typeof msg.serviceName === 'string' && msg.serviceName ? msg.serviceName : 'node-thrift-server';
    thriftServer = TChannel({ logger: makeLogger('thrift-server') });
    var sub = thriftServer.makeSubChannel({ serviceName: serviceName });
    var tchannelThrift = thriftServer.TChannelAsThrift({
        source: msg.idl,
        channel: sub,
        logger: sub.logger,
        isHealthy: function isHealthy() { return thriftHealth; },
        loadMetaAsync: false
    });
    // Meta::health (tchannel-node's own meta.thrift: `HealthStatus health()`) on the sub channel.
    tchannelThrift.registerHealthSync();
    // As for json: a stand-in that records each call in `served` before the thrift layer parses it.
    var recordingSub = {
        logger: sub.logger,
        register: function register(name, handler) {
            sub.register(name, function recorded(req, res, arg2, arg3) {
                recordServed(req, arg2, arg3);
                handler(req, res, arg2, arg3);
            });
        }
    };
    var endpoints = tchannelThrift.getServiceEndpoints(msg.thriftService);
    endpoints.forEach(function each(endpoint) {
        var method = endpoint.slice(endpoint.indexOf('::') + 2);
        var impl = thriftHandlers[method];
        if (!impl) return;
        tchannelThrift.register(recordingSub, endpoint, {}, function handle(opts, req, head, body, callback) {
            if (head && head.fail === 'yes') {
                callback(new Error('node thrift handler failed'));
                return;
            }
            var answer;
            try {
                answer = impl(head || {}, body);
            } catch (err) {
                send({ event: 'uncaught', kind: 'handlerThrew', error: describeThrown(err) });
                callback(err);
                return;
            }
            var outHead = {};
            Object.keys(head || {}).forEach(function each(k) { outHead[k] = head[k]; });
            outHead.served = method;
            callback(null, { ok: answer.ok, head: outHead, body: answer.body, typeName: answer.typeName });
        });
    });
    var listening = false;
    thriftServer.errorEvent.on(function onServerError(err) {
        if (listening) {
            send({ event: 'uncaught', kind: 'thriftServerChannelError', error: describeThrown(err) });
        } else {
            fail(err);
        }
    });
    thriftServer.listen(0, '127.0.0.1', function onListening() {
        listening = true;
        reply({ hostPort: thriftServer.hostPort, serviceName: serviceName, endpoints: endpoints });
    });
}

function callThrift(msg, reply) {
    if (typeof msg.hostPort !== 'string' || !msg.hostPort) throw new TypeError('callThrift.hostPort must be a string');
    if (typeof msg.service !== 'string') throw new TypeError('callThrift.service must be a string');
    if (typeof msg.endpoint !== 'string') throw new TypeError('callThrift.endpoint must be a string');
    if (typeof msg.idl !== 'string') throw new TypeError('callThrift.idl must be the IDL text');

    var headers = { cn: 'node-client' };
    if (msg.headers && typeof msg.headers === 'object') {
        Object.keys(msg.headers).forEach(function each(k) { headers[k] = String(msg.headers[k]); });
    }
    var req = clientFor(msg.hostPort).request({
        serviceName: msg.service,
        timeout: typeof msg.timeout === 'number' ? msg.timeout : DEFAULT_CALL_TIMEOUT,
        hasNoParent: true,
        retryLimit: 1,
        headers: headers
    });
    var thrift = thriftClients[msg.idl];
    if (!thrift) {
        thrift = client.TChannelAsThrift({ source: msg.idl, logger: client.logger });
        thriftClients[msg.idl] = thrift;
    }
    thrift.send(req, msg.endpoint, msg.head || undefined, msg.body || {}, function onResult(err, res) {
        if (err) {
            reply({ error: serializeCallError(err) });
            return;
        }
        reply({
            result: {
                ok: Boolean(res.ok),
                head: jsonValue(res.head),
                body: jsonValue(res.body),
                typeName: typeof res.typeName === 'string' ? res.typeName : null,
                headers: copyHeaders(res.headers)
            }
        });
    });
}

// ---------------------------------------------------------------------------------------------
// Streaming (tchannel-node's streaming_{in,out}_{request,response}.js and argstream.js)
//
// A handler registered with `{ streamed: true }` is called as handler(req, buildResponse) at the
// request's first frame. A request that came in several frames (call flag 0x01) is a
// StreamingInRequest whose arg2/arg3 are PassThrough streams fed as frames arrive; one that fit in
// a single frame is a plain InRequest whose arg2/arg3 are Buffers. buildResponse({ streamed: true })
// gives a StreamingOutResponse whose arg2/arg3 are writable streams: what is written in one turn of
// the event loop goes out as one frame (several if it does not fit), flushed by setImmediate.
// A streamed out request is channel.request({ streamed: true, host }), which needs an identified
// connection (it bypasses TChannelRequest), then sendArg1 and writes to req.arg2/req.arg3; its
// response arrives with its first frame, with arg2/arg3 streams if it is fragmented, else Buffers.
//
// Writing arg3 in the same turn as arg2.end() fails the message with ArgChunkOutOfOrderError
// ("current: 3 got: 2"): the first arg3 chunk reaches OutArgStream before arg2's 'finish' (a
// nextTick on current Node), so arg3 is started and arg2's end then looks out of order. This breaks
// tchannel-node's own StreamingOutRequest#send(arg1, arg2, arg3) on Node 20 too (it does exactly
// that). The harness therefore starts arg3 on arg2's 'finish' (afterArg2).
//
// Times are ms since the epoch with sub-ms precision (performance.timeOrigin + performance.now()),
// comparable with the same clock in the parent.
//
// Streamed endpoints:
//   stream-read   reads arg2 whole and arg3 as it arrives, then answers (unstreamed) arg2 back and
//                 in arg3 the JSON summary { requestStreamed, startedAt, arg2Length, arg3 } (arg3:
//                 an arg record, see readArg; with `body` in base64 when it is at most 1 MiB)
//   stream-write  arg2 is JSON { chunks, size, gapMs, seed, head? }: once the request is in, answers
//                 streamed: arg2 `head`, then arg3 as `chunks` chunks of `size` bytes,
//                 patternBytes(size, seed + i), `gapMs` apart (0: one turn of the event loop)
// Both add a record to streamRecords: { endpoint, startedAt, requestStreamed, arg2Length, arg3?,
// writes?, error? }.

var path = require('path');
var States = require('tchannel/reqres_states');
// tchannel-node's own CRC-32C (its v2/checksum.js uses it): calculate(buf, prior) -> uint32
var crc32c = require(require.resolve('sse4_crc32', { paths: [path.dirname(require.resolve('tchannel'))] })).calculate;

var streamRecords = [];
var BODY_IN_SUMMARY_LIMIT = 1024 * 1024;

function wallNow() {
    return performance.timeOrigin + performance.now();
}

// The same bytes as interop-helpers.ts pattern(length, seed).
function patternBytes(length, seed) {
    var buf = Buffer.allocUnsafe(length);
    var x = (seed * 2654435761) >>> 0 || 1;
    for (var i = 0; i < length; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        buf[i] = x & 0xff;
    }
    return buf;
}

function bodySpec(value, what) {
    if (!value || typeof value !== 'object') throw new TypeError(what + ' must be { chunks, size, gapMs, seed }');
    var spec = {
        chunks: value.chunks,
        size: value.size,
        gapMs: value.gapMs === undefined ? 0 : value.gapMs,
        seed: value.seed === undefined ? 1 : value.seed
    };
    Object.keys(spec).forEach(function each(k) {
        if (typeof spec[k] !== 'number' || !(spec[k] >= 0)) throw new TypeError(what + '.' + k + ' must be a number >= 0');
    });
    return spec;
}

// Reads one arg as it arrives: a Buffer (unfragmented message) at once, a stream chunk by chunk.
// callback(err, rec) with rec = { streamed, total, crc32c, chunks: [{ at, size }], endedAt, bytes }.
function readArg(arg, callback) {
    var rec = { streamed: false, total: 0, crc32c: 0, chunks: [], endedAt: 0, bytes: null };
    var parts = [];
    var done = false;
    function onChunk(chunk) {
        if (!chunk || chunk.length === 0) return;
        rec.chunks.push({ at: wallNow(), size: chunk.length });
        rec.total += chunk.length;
        rec.crc32c = crc32c(chunk, rec.crc32c) >>> 0;
        parts.push(chunk);
    }
    function finish(err) {
        if (done) return;
        done = true;
        rec.endedAt = wallNow();
        rec.bytes = Buffer.concat(parts);
        callback(err || null, rec);
    }
    if (arg === null || arg === undefined || Buffer.isBuffer(arg)) {
        onChunk(arg);
        setImmediate(finish);
        return;
    }
    rec.streamed = true;
    arg.on('data', onChunk);
    arg.once('end', function onEnd() { finish(null); });
    arg.once('error', finish);
}

// An arg record as JSON: without the bytes, or with them in base64 as `body` when asked.
function argRecordJSON(rec, withBody) {
    var out = { streamed: rec.streamed, total: rec.total, crc32c: rec.crc32c, chunks: rec.chunks, endedAt: rec.endedAt };
    if (withBody) out.body = rec.bytes.toString('base64');
    return out;
}

// Writes `spec` into a writable arg stream and ends it; callback(writes) with
// { startedAt, endedAt, total, crc32c, writes: [{ at, size }] } (`at`: just before each write).
function writeBody(stream, spec, callback) {
    var out = { startedAt: wallNow(), endedAt: 0, total: 0, crc32c: 0, writes: [] };
    var i = 0;
    function next() {
        if (i >= spec.chunks) {
            out.endedAt = wallNow();
            stream.end();
            callback(out);
            return;
        }
        var chunk = patternBytes(spec.size, spec.seed + i);
        i++;
        out.writes.push({ at: wallNow(), size: chunk.length });
        out.total += chunk.length;
        out.crc32c = crc32c(chunk, out.crc32c) >>> 0;
        stream.write(chunk);
        if (spec.gapMs > 0) setTimeout(next, spec.gapMs);
        else setImmediate(next);
    }
    next();
}

// Ends a writable arg2 with `value`, then runs `next` once OutArgStream has seen arg2 end (its own
// 'finish' listener was added first, so it runs before ours).
function afterArg2(arg2Stream, value, next) {
    arg2Stream.once('finish', next);
    arg2Stream.end(value);
}

function recordStream(rec) {
    streamRecords.push(rec);
    if (streamRecords.length > MAX_RECORDS) streamRecords.shift();
}

function inreqAnswered(req) {
    return Boolean(req.err) || Boolean(req.res && req.res.state !== States.Initial);
}

// Reads a request's arg2 and arg3 as they arrive; callback(err, arg2rec, arg3rec).
function readRequest(req, callback) {
    var recs = {};
    var left = 2;
    var failed = false;
    function got(which) {
        return function onArg(err, rec) {
            if (failed) return;
            if (err) {
                failed = true;
                callback(err);
                return;
            }
            recs[which] = rec;
            if (--left === 0) callback(null, recs.arg2, recs.arg3);
        };
    }
    readArg(req.arg2, got('arg2'));
    readArg(req.arg3, got('arg3'));
}

var streamEndpoints = {
    'stream-read': function streamRead(req, buildResponse) {
        var rec = { endpoint: 'stream-read', startedAt: wallNow(), requestStreamed: Boolean(req.streamed) };
        recordServedStreamed(req);
        readRequest(req, function gotRequest(err, arg2, arg3) {
            if (err) {
                rec.error = describeThrown(err);
                recordStream(rec);
                if (!inreqAnswered(req)) buildResponse({ streamed: false }).sendError('UnexpectedError', 'stream-read: ' + err.message);
                return;
            }
            rec.arg2Length = arg2.total;
            rec.arg3 = argRecordJSON(arg3, false);
            recordStream(rec);
            if (inreqAnswered(req)) return;
            var summary = {
                requestStreamed: rec.requestStreamed,
                startedAt: rec.startedAt,
                arg2Length: arg2.total,
                arg3: argRecordJSON(arg3, arg3.total <= BODY_IN_SUMMARY_LIMIT)
            };
            var res = buildResponse({ streamed: false });
            prepare(res);
            res.sendOk(arg2.bytes, Buffer.from(JSON.stringify(summary), 'utf8'));
        });
    },
    'stream-write': function streamWrite(req, buildResponse) {
        var rec = { endpoint: 'stream-write', startedAt: wallNow(), requestStreamed: Boolean(req.streamed) };
        recordServedStreamed(req);
        readRequest(req, function gotRequest(err, arg2, arg3) {
            var params;
            if (!err) {
                try {
                    params = JSON.parse(arg2.bytes.toString('utf8'));
                    params.spec = bodySpec(params, 'stream-write arg2');
                } catch (parseErr) {
                    err = parseErr;
                }
            }
            if (err) {
                rec.error = describeThrown(err);
                recordStream(rec);
                if (!inreqAnswered(req)) buildResponse({ streamed: false }).sendError('BadRequest', 'stream-write: ' + err.message);
                return;
            }
            rec.arg2Length = arg2.total;
            rec.arg3 = argRecordJSON(arg3, false);
            if (inreqAnswered(req)) {
                recordStream(rec);
                return;
            }
            var res = buildResponse({ streamed: true });
            prepare(res);
            res.setOk(true);
            afterArg2(res.arg2, Buffer.from(typeof params.head === 'string' ? params.head : '', 'utf8'), function arg2Sent() {
                writeBody(res.arg3, params.spec, function written(writes) {
                    rec.writes = writes;
                    recordStream(rec);
                });
            });
        });
    }
};

// A `served` record for a streamed endpoint (args are streams: their lengths are not known yet).
function recordServedStreamed(req) {
    recordServed(req, null, null);
}

function registerStreamEndpoints(sub) {
    Object.keys(streamEndpoints).forEach(function each(name) {
        var impl = streamEndpoints[name];
        sub.register(name, { streamed: true }, function handle(req, buildResponse) {
            try {
                impl(req, buildResponse);
            } catch (err) {
                send({ event: 'uncaught', kind: 'handlerThrew', error: describeThrown(err) });
                if (!inreqAnswered(req)) buildResponse({ streamed: false }).sendError('UnexpectedError', 'handler threw: ' + String(err && err.message));
            }
        });
    });
}

// A streamed call from the client channel. The request's arg3 is `arg3` whole, or `body` written
// chunk by chunk (writeBody); the response's args are read as they arrive (readArg).
// Answers { result: { ok, code, headers, checksumType, streamed, sendStartedAt, responseAt, sent,
// arg2, arg3 } } (sent: writeBody's record or null; arg2 base64; arg3 an arg record, with `body`
// when keepBody) or { error } (the call failed, also mid-stream).
function callStreamed(msg, reply) {
    if (typeof msg.hostPort !== 'string' || !msg.hostPort) throw new TypeError('callStreamed.hostPort must be a string');
    if (typeof msg.service !== 'string') throw new TypeError('callStreamed.service must be a string');
    if (typeof msg.endpoint !== 'string') throw new TypeError('callStreamed.endpoint must be a string');
    var arg2 = toBuffer(msg.arg2, 'callStreamed.arg2');
    var spec = msg.body === undefined || msg.body === null ? null : bodySpec(msg.body, 'callStreamed.body');
    var arg3 = spec ? null : toBuffer(msg.arg3, 'callStreamed.arg3');
    var keepBody = msg.keepBody === true;
    var headers = { as: 'raw', cn: 'node-client' };
    if (msg.headers && typeof msg.headers === 'object') {
        Object.keys(msg.headers).forEach(function each(k) { headers[k] = String(msg.headers[k]); });
    }

    var sub = clientFor(msg.hostPort);
    var peer = sub.peers.add(msg.hostPort);
    peer.waitForIdentified(function identified(err) {
        if (err) {
            reply({ error: serializeCallError(err) });
            return;
        }
        start();
    });

    function start() {
        var answered = false;
        var sent = null;
        var sending = Boolean(spec);
        var response = null;
        function answer(value) {
            if (answered) return;
            answered = true;
            reply(value);
        }
        function maybeAnswer() {
            if (!response || sending) return;
            answer({ result: response });
        }

        var req = sub.request({
            host: msg.hostPort,
            streamed: true,
            serviceName: msg.service,
            timeout: typeof msg.timeout === 'number' ? msg.timeout : DEFAULT_CALL_TIMEOUT,
            hasNoParent: true,
            headers: headers
        });
        req.errorEvent.on(function onError(err) {
            answer({ error: serializeCallError(err) });
        });
        req.responseEvent.on(function onResponse(res) {
            var responseAt = wallNow();
            readRequest(res, function gotResponse(err, resArg2, resArg3) {
                if (err) {
                    answer({ error: serializeCallError(err) });
                    return;
                }
                response = {
                    ok: Boolean(res.ok),
                    code: typeof res.code === 'number' ? res.code : 0,
                    headers: copyHeaders(res.headers),
                    checksumType: res.checksum ? res.checksum.type : null,
                    streamed: Boolean(res.streamed),
                    sendStartedAt: sendStartedAt,
                    responseAt: responseAt,
                    sent: sent,
                    arg2: resArg2.bytes.toString('base64'),
                    arg3: argRecordJSON(resArg3, keepBody)
                };
                maybeAnswer();
            });
        });
        var sendStartedAt = wallNow();
        req.sendArg1(Buffer.from(msg.endpoint, 'utf8'));
        afterArg2(req.arg2, arg2, function arg2Sent() {
            if (!spec) {
                req.arg3.end(arg3);
                return;
            }
            writeBody(req.arg3, spec, function written(writes) {
                sent = writes;
                sending = false;
                if (response) response.sent = sent;
                maybeAnswer();
            });
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Hyperbahn: tchannel-node's HyperbahnClient advertising to a router under test, and what the
// `ad`/`unad` json endpoints (jsonEndpoints) decoded when tchannel-node plays the router.

var HyperbahnClient = require('tchannel/hyperbahn-client.js');
var HYPERBAHN_CONNECTION_COUNT = 4;
var hyperbahnChannel = null;   // the advertising channel (HyperbahnClient needs a listening top channel)
var hyperbahnClient = null;
var hyperbahnAdvertised = 0;
var hyperbahnSeen = [];

function recordHyperbahnSeen(endpoint, req, head, body) {
    hyperbahnSeen.push({
        endpoint: endpoint,
        service: req.serviceName,
        callerName: req.callerName,
        as: req.headers.as,
        head: jsonValue(head),
        body: jsonValue(body),
        // What a router registers: the host_port the caller's init announced.
        remoteHostPort: req.connection && typeof req.connection.remoteName === 'string' ? req.connection.remoteName : null
    });
    if (hyperbahnSeen.length > MAX_RECORDS) hyperbahnSeen.shift();
}

function hyperbahnAdvertise(msg, reply, fail) {
    if (hyperbahnClient) throw new Error('hyperbahnAdvertise: already advertising');
    if (!Array.isArray(msg.routers) || msg.routers.some(function notString(r) { return typeof r !== 'string'; })) {
        throw new TypeError('hyperbahnAdvertise.routers must be an array of host:port strings');
    }
    var serviceName = typeof msg.serviceName === 'string' && msg.serviceName ? msg.serviceName : 'node-hyperbahn-service';
    hyperbahnChannel = TChannel({ logger: makeLogger('hyperbahn') });
    hyperbahnChannel.listen(0, '127.0.0.1', function onListening() {
        var options = {
            tchannel: hyperbahnChannel,
            serviceName: serviceName,
            hostPortList: msg.routers,
            reportTracing: false,
            hardFail: true,
            advertisementTimeout: typeof msg.advertisementTimeout === 'number' ? msg.advertisementTimeout : 2000,
            logger: makeLogger('hyperbahn-client')
        };
        if (typeof msg.advertiseInterval === 'number') options.advertiseInterval = msg.advertiseInterval;
        try {
            hyperbahnClient = HyperbahnClient(options);
        } catch (err) {
            fail(err);
            return;
        }
        hyperbahnClient.on('advertised', function onAdvertised() {
            hyperbahnAdvertised++;
            var result = hyperbahnClient.latestAdvertisementResult || {};
            reply({
                hostPort: hyperbahnChannel.hostPort,
                result: { ok: result.ok === true, head: jsonValue(result.head), body: jsonValue(result.body) }
            });
        });
        hyperbahnClient.on('error', function onError(err) {
            reply({ error: serializeCallError(err) });
        });
        hyperbahnClient.advertise();
    });
}

function hyperbahnUnadvertise(msg, reply) {
    if (!hyperbahnClient) throw new Error('hyperbahnUnadvertise: not advertising');
    var hyperbahn = hyperbahnClient;
    // HyperbahnClient only logs a failed unad (no event): give up waiting after 2 s.
    var timer = setTimeout(function unadTimedOut() {
        reply({ error: { type: 'hyperbahn-client.unadvertise-timeout', name: 'Error', message: 'no unadvertised event in 2000 ms' } });
    }, 2000);
    hyperbahn.once('unadvertised', function onUnadvertised() {
        clearTimeout(timer);
        hyperbahn.destroy();
        reply({ advertisedCount: hyperbahnAdvertised });
    });
    hyperbahn.unadvertise();
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

function closeAll(callback) {
    var chans = [];
    if (client && !client.destroyed) chans.push(client);
    if (server && !server.destroyed) chans.push(server);
    if (thriftServer && !thriftServer.destroyed) chans.push(thriftServer);
    if (hyperbahnClient) hyperbahnClient.destroy();
    if (hyperbahnChannel && !hyperbahnChannel.destroyed) chans.push(hyperbahnChannel);
    var left = chans.length;
    if (left === 0) {
        callback();
        return;
    }
    var timer = setTimeout(callback, 2000);
    chans.forEach(function each(chan) {
        chan.close(function onClosed() {
            if (--left === 0) {
                clearTimeout(timer);
                callback();
            }
        });
    });
}

var commands = {
    ping: function ping(msg, reply) {
        reply({ pid: process.pid });
    },
    listen: listen,
    call: call,
    callJson: callJson,
    listenThrift: listenThrift,
    callThrift: callThrift,
    callStreamed: callStreamed,
    hyperbahnAdvertise: hyperbahnAdvertise,
    hyperbahnUnadvertise: hyperbahnUnadvertise,
    hyperbahnSeen: function hyperbahnSeenCmd(msg, reply) {
        var out = hyperbahnSeen.slice();
        if (msg.clear) hyperbahnSeen = [];
        reply(out);
    },
    streamRecords: function streamRecordsCmd(msg, reply) {
        var out = streamRecords.slice();
        if (msg.clear) streamRecords = [];
        reply(out);
    },
    setThriftHealth: function setThriftHealth(msg, reply) {
        thriftHealth = { ok: msg.ok === true };
        if (typeof msg.message === 'string') thriftHealth.message = msg.message;
        reply({});
    },
    served: function servedCmd(msg, reply) {
        var out = served.slice();
        if (msg.clear) served = [];
        reply(out);
    },
    logs: function logsCmd(msg, reply) {
        var out = logs.slice();
        if (msg.clear) logs = [];
        reply(out);
    },
    close: function close(msg, reply) {
        closeAll(function onClosed() {
            reply({});
            // Let the reply flush before leaving.
            setImmediate(function leave() {
                if (process.connected) process.disconnect();
                process.exit(0);
            });
        });
    }
};

send({ event: 'ready', pid: process.pid });
