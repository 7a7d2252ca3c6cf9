import { createSocket, type Socket } from 'node:dgram';

/**
 * A DNS server on 127.0.0.1 that answers A queries for one name with a list of addresses the test
 * changes as it goes, like Docker's DNS (127.0.0.11) answering a compose service's name with its
 * running replicas. Any other name is NXDOMAIN; other record types get no answer. TTL 1 s.
 */
export class FakeDns {
  addresses: string[] = [];
  private constructor(
    private readonly socket: Socket,
    readonly name: string,
  ) {}

  static async start(name: string): Promise<FakeDns> {
    const socket = createSocket('udp4');
    const dns = new FakeDns(socket, name.toLowerCase());
    socket.on('message', (query, peer) => {
      const answer = dns.answer(query);
      if (answer) socket.send(answer, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return dns;
  }

  get port(): number {
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(query: Buffer): Buffer | null {
    if (query.length < 12 || query.readUInt16BE(4) !== 1) return null;
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      labels.push(query.subarray(at + 1, at + 1 + query[at]).toString('ascii'));
      at += 1 + query[at];
    }
    const questionEnd = at + 5; // the zero label, QTYPE, QCLASS
    if (questionEnd > query.length) return null;
    const type = query.readUInt16BE(at + 1);
    const known = labels.join('.').toLowerCase() === this.name;
    const records = known && type === 1 ? this.addresses : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    // QR, the query's RD, RA; RCODE 3 (NXDOMAIN) for a name we do not know.
    header.writeUInt16BE(0x8080 | (query.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    const answers = records.map((address) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(1, 6); // TTL
      rr.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
      return rr;
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
  }
}
