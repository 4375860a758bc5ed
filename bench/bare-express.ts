/**
 * The floor of the API bench: a bare Express app answering the same routes with the same
 * JSON bodies nectar gave, precomputed. Run as its own process, like the nectar server.
 * argv: a JSON object { statusBody, postBody } ; prints `listening <port>`.
 */
import express from 'express';

const { statusBody, postBody } = JSON.parse(process.argv[2] ?? '{}') as { statusBody: unknown; postBody: unknown };
const app = express();
app.get('/api/chainstatus', (_req, res) => {
  res.status(200).json(statusBody);
});
app.post('/api/chains/:type/:task', (_req, res) => {
  res.status(200).json(postBody);
});
const server = app.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
