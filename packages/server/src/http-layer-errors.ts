import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

/*
 * Errors raised before any route runs, answered in the SPEC's error body like every other.
 * None repeats anything of the request: a URL or header can be huge or carry a token.
 */

// How long an answered bad connection may stay open for the answer to reach the client.
const LINGER_MS = 1_000;

/** Fastify's `frameworkErrors`: its router's own errors (a malformed or over-long URL). */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const answer = frameworkError(error);
  if (answer.status >= 500) request.log.error({ err: error }, 'router failed');
  // These replies skip the app's hooks, so the request id header is set here.
  reply.code(answer.status).header('x-request-id', request.id).send(answer.toBody());
}

function frameworkError(error: FastifyError): ApiError {
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError('URI_TOO_LONG', 'uri_too_long', 'A part of the URL is longer than any valid id');
    case 'FST_ERR_BAD_URL':
      return new ApiError('INVALID_REQUEST', 'invalid_field', 'The URL is not valid percent-encoding');
    default:
      return new ApiError('INTERNAL_ERROR', 'unexpected', 'Unexpected server error');
  }
}

/**
 * Fastify's `clientErrorHandler`: errors Node's HTTP server raises before Fastify sees a
 * request (malformed request, headers too large, request timeout), written to the socket.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage;
  // As Node's own handler: never write an answer into one already started on this socket.
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const answer = clientError(error.code);
  const body = JSON.stringify(answer.toBody());
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // end() alone leaves the socket half-open (Node's HTTP server allows that) for as long as
  // the client keeps its side open: close it once the answer has had time to arrive.
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function clientError(code: string | undefined): ApiError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError(
        'REQUEST_TIMEOUT',
        'request_timeout',
        'The request did not arrive in full in time; send it again',
      );
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError(
        'HEADERS_TOO_LARGE',
        'headers_too_large',
        'The URL and headers are too large (a token is at most 8 KiB)',
      );
    default:
      return new ApiError('INVALID_REQUEST', 'invalid_field', 'Malformed HTTP request');
  }
}
