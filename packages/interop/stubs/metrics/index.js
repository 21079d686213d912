// Stand-in for the unserved 'metrics' package; tchannel-node never loads it at run time.
module.exports = {};
