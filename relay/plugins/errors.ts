import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';

/** The one error body shape of the relay's API, in the OpenAI style the app already reads. */
export function errorBody(message: string, type: string) {
  return { error: { message, type } };
}

/**
 * Client mistakes get a message that helps; server failures get a generic one (details go to the
 * log). A JSON parse error's own message quotes the body, which for a login holds the password,
 * so it is never passed on.
 */
export const errorsPlugin = fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      if (status >= 500) {
        request.log.error({ err: error }, 'request failed');
        return reply.code(status).send(errorBody('The relay could not complete this request.', 'server_error'));
      }
      let message: string;
      if (error.validation) message = `Invalid request: ${error.message}`;
      else if (error.code === 'FST_ERR_CTP_INVALID_JSON' || error instanceof SyntaxError) message = 'The request body is not valid JSON.';
      else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = 'The request body is too large.';
      else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') message = 'Unsupported content type.';
      else message = 'Bad request.';
      return reply.code(status).send(errorBody(message, status === 413 ? 'too_large' : 'bad_request'));
    });
  },
  { name: 'errors', fastify: '5.x' }
);
