export { type CallRequestHead, type CallResponseHead, type MessageHead, type CallArgs, MAX_ARG1_BYTES } from './message-head';
export { MessageFragmenter, fragmentMessage } from './message-fragmenter';
export { MessageAssembler, BufferedArgs, type ArgSink, type MessageAssemblerOptions } from './message-assembler';
