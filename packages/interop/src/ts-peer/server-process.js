'use strict';

// A tchannel-ts server in a process of its own, forked by test/failover.test.ts so a test can
// SIGKILL it mid-call, as a crashed or OOM-killed host would die. It runs the built package
// (`@tchannel/core` resolves to packages/core/dist: build core first; turbo's test task does).
//
// argv[2]: the channel's service name (default 'ts-peer').
// Child -> parent (IPC): { event: 'ready', hostPort, pid }   once listening
//                        { event: 'failed', message }        if it could not start
// Parent -> child:       { cmd: 'close' }                    closes the channel and exits
//
// Endpoints:
//   echo  answers arg2 and arg3 back at once.
//   slow  waits arg2 ms (a decimal number; 200 if empty), then answers arg2 = the ttl it was
//         sent (ms, decimal: a retry's ttl is the caller's time left) and arg3 back. Stops waiting
//         when the call is cancelled or times out.

var core = require('@tchannel/core');

var name = process.argv[2] || 'ts-peer';
var channel = new core.TChannel({ name: name });

function send(message) {
    if (process.connected && typeof process.send === 'function') {
        try {
            process.send(message);
        } catch (err) {
            // The parent went away: nothing to tell.
        }
    }
}

channel.register('echo', function echo(req) {
    return { arg2: req.arg2, arg3: req.arg3 };
});

channel.register('slow', function slow(req) {
    var ms = Number(req.arg2.toString('utf8')) || 200;
    return new Promise(function wait(resolve) {
        var timer = setTimeout(resolve, ms);
        req.signal.addEventListener('abort', function onAbort() {
            clearTimeout(timer);
            resolve();
        });
    }).then(function answer() {
        return { arg2: String(req.timeout), arg3: req.arg3 };
    });
});

channel.listen({ host: '127.0.0.1', port: 0 }).then(
    function onListening(hostPort) {
        send({ event: 'ready', hostPort: hostPort, pid: process.pid });
    },
    function onFailed(err) {
        send({ event: 'failed', message: String(err && err.stack ? err.stack : err) });
        process.exit(1);
    }
);

process.on('message', function onMessage(msg) {
    if (msg && msg.cmd === 'close') {
        channel.close({ gracePeriod: 0 }).then(
            function onClosed() { process.exit(0); },
            function onCloseFailed() { process.exit(1); }
        );
    }
});

// If the parent dies or disconnects, nobody is left to stop us: leave.
process.on('disconnect', function onDisconnect() {
    process.exit(0);
});
