package main

// FerretDB v1.24 runs an update as a query followed by a separate write of the whole document,
// with no transaction around the two: two concurrent updates of one document can lose one of
// them (300 concurrent $inc on one document left 25). MongoDB, which deployments use, applies
// each single-document write atomically, and Steadfast relies on that (compare-and-set on a
// record's version, an outbox written with the change). So clients reach FerretDB through this
// proxy, which lets one document-writing command run at a time; reads pass freely.

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

const (
	opMsg       = 2013
	moreToCome  = 1 << 1
	maxMessage  = 48 * 1024 * 1024
	headerBytes = 16
)

var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "findandmodify": true,
}

// commandName returns the first key of an OP_MSG's body section: the command.
func commandName(msg []byte) string {
	// header(16) flagBits(4) kind(1) bson-length(4) element-type(1) name(cstring)
	const start = headerBytes + 4 + 1 + 4 + 1
	if len(msg) <= start || binary.LittleEndian.Uint32(msg[12:16]) != opMsg || msg[headerBytes+4] != 0 {
		return ""
	}
	for i := start; i < len(msg); i++ {
		if msg[i] == 0 {
			return string(msg[start:i])
		}
	}
	return ""
}

func readMessage(r io.Reader) ([]byte, error) {
	var header [4]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	length := int(binary.LittleEndian.Uint32(header[:]))
	if length < headerBytes || length > maxMessage {
		return nil, errors.New("bad wire message length")
	}
	msg := make([]byte, length)
	copy(msg, header[:])
	_, err := io.ReadFull(r, msg[4:])
	return msg, err
}

type serializer struct {
	backend string // unix socket path of FerretDB
	writes  sync.Mutex
	logger  *slog.Logger
}

func (s *serializer) serve(l net.Listener) error {
	for {
		client, err := l.Accept()
		if err != nil {
			return err
		}
		go s.handle(client)
	}
}

// handle relays one client connection. The driver sends a request and waits for its reply on
// a connection, so request and reply pair up; a write holds the lock until its reply is back.
func (s *serializer) handle(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("unix", s.backend)
	if err != nil {
		s.logger.Warn("cannot reach FerretDB", "error", err)
		return
	}
	defer server.Close()
	for {
		request, err := readMessage(client)
		if err != nil {
			return
		}
		write := writeCommands[commandName(request)]
		noReply := binary.LittleEndian.Uint32(request[12:16]) == opMsg && len(request) > headerBytes+4 &&
			binary.LittleEndian.Uint32(request[headerBytes:headerBytes+4])&moreToCome != 0
		var asked, locked time.Time
		if write {
			asked = time.Now()
			s.writes.Lock()
			locked = time.Now()
		}
		err = s.roundTrip(client, server, request, noReply)
		if write {
			s.writes.Unlock()
			if took := time.Since(locked); took > slowWrite {
				s.logger.Warn("slow write", "command", commandName(request), "collection", firstString(request),
					"ms", took.Milliseconds(), "waitedMs", locked.Sub(asked).Milliseconds())
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *serializer) roundTrip(client, server net.Conn, request []byte, noReply bool) error {
	if _, err := server.Write(request); err != nil {
		return err
	}
	if noReply {
		return nil
	}
	for {
		reply, err := readMessage(server)
		if err != nil {
			return err
		}
		if _, err := client.Write(reply); err != nil {
			return err
		}
		// A reply with moreToCome is followed by more replies to the same request (exhaust).
		if !(binary.LittleEndian.Uint32(reply[12:16]) == opMsg && binary.LittleEndian.Uint32(reply[headerBytes:headerBytes+4])&moreToCome != 0) {
			return nil
		}
	}
}

const slowWrite = 100 * time.Millisecond

// firstString returns the string value of the command's first element (the collection name).
func firstString(msg []byte) string {
	const start = headerBytes + 4 + 1 + 4 + 1
	name := commandName(msg)
	i := start + len(name) + 1 + 4 // skip the cstring and the int32 string length
	if name == "" || len(msg) <= i || msg[start-1] != 0x02 {
		return ""
	}
	for j := i; j < len(msg); j++ {
		if msg[j] == 0 {
			return string(msg[i:j])
		}
	}
	return ""
}
