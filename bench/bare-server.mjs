import { createServer } from 'node:http';

// The ceiling: Node's own HTTP server reading and parsing the same body, storing nothing.
// Plain JavaScript, as the Signet servers under test run compiled JavaScript.
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const batch = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ accepted: batch.events.length, duplicates: 0 }));
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
