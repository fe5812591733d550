export { startSmtpSink, decodeWords, decodeQuotedPrintable, type ReceivedMail } from '../../src/dev/smtp-sink.js';
