import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { consoleHeaders, isConsolePath } from './console-headers.js';

/** Where `npm run build` puts the console (vite's output): `dist/ui`, beside `dist/server`. */
export const CONSOLE_ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../ui');

/**
 * Serves the web console's static files at `/ui/` (index.html at `/ui/`, `/ui` redirects there)
 * with its strict headers. Static files only: every piece of data the console shows it fetches
 * from the API with the operator's token, under the API's own guard. Without a build of the
 * console (`npm run build` not run), `/ui` is a 404 like any unknown path.
 */
export async function mountConsole(app: NestFastifyApplication, root = CONSOLE_ROOT): Promise<void> {
  if (!existsSync(join(root, 'index.html'))) return;
  const fastify = app.getHttpAdapter().getInstance();
  // Callback style, not async: this hook sees every response, the API's hot path included.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (isConsolePath(request.url)) {
      const path = request.url.split('?')[0]!;
      for (const [name, value] of Object.entries(consoleHeaders(path))) void reply.header(name, value);
    }
    done(null, payload);
  });
  fastify.get('/ui', (_request, reply) => reply.redirect('/ui/', 301));
  await app.register(fastifyStatic, {
    root,
    prefix: '/ui/',
    redirect: true,
    index: ['index.html'],
    // Hidden files and directory listings are never served; ETag and Last-Modified revalidate.
    dotfiles: 'deny',
    list: false,
    cacheControl: false,
    decorateReply: false,
  });
}
