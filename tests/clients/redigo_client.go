// Client matrix: redigo (Debian's golang-github-gomodule-redigo-dev) with its default
// settings.
//
// The scenario every client in tests/clients runs (see python_redis.py), through redigo's
// own API: Do for single calls, Send/Flush/Receive for the blocked XREAD and the pipeline,
// and redigo's reply helpers (redis.Values, redis.String, redis.Int, redis.StringMap) to read
// the replies. Prints `PASS protocol=N`.
package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gomodule/redigo/redis"
)

func check(ok bool, what string, args ...interface{}) {
	if !ok {
		fmt.Fprintf(os.Stderr, "FAIL "+what+"\n", args...)
		os.Exit(1)
	}
}

func must(err error, what string) {
	check(err == nil, "%s: %v", what, err)
}

func dial() redis.Conn {
	c, err := redis.Dial("tcp", "127.0.0.1:"+os.Getenv("RUNNEL_PORT"))
	must(err, "dial")
	return c
}

// entry reads an [id, [field, value, ...]] reply as the id and a field map.
func entry(reply interface{}) (string, map[string]string) {
	parts, err := redis.Values(reply, nil)
	must(err, "entry")
	id, err := redis.String(parts[0], nil)
	must(err, "entry id")
	fields, err := redis.StringMap(parts[1], nil)
	must(err, "entry fields")
	return id, fields
}

// waitBlocked polls INFO clients until n clients are blocked (observable state, no sleep
// guessing how long the other connection takes).
func waitBlocked(c redis.Conn, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := redis.String(c.Do("INFO", "clients"))
		must(err, "INFO")
		if strings.Contains(info, fmt.Sprintf("blocked_clients:%d", n)) {
			return
		}
		check(time.Now().Before(deadline), "the XREAD never blocked")
		time.Sleep(5 * time.Millisecond)
	}
}

func main() {
	c := dial()
	defer c.Close()
	_, err := c.Do("DEL", "s", "t", "p")
	must(err, "DEL")

	id1, err := redis.String(c.Do("XADD", "s", "*", "n", "1"))
	must(err, "XADD")
	id2, err := redis.String(c.Do("XADD", "s", "*", "n", "2"))
	must(err, "XADD")
	n, err := redis.Int(c.Do("XLEN", "s"))
	check(err == nil && n == 2, "XLEN %d %v", n, err)

	// XREAD BLOCK on a second connection, woken by an XADD on the first.
	blocked := dial()
	must(blocked.Send("XREAD", "BLOCK", 10000, "STREAMS", "s", "$"), "send XREAD")
	must(blocked.Flush(), "flush XREAD")
	waitBlocked(c, 1)
	id3, err := redis.String(c.Do("XADD", "s", "*", "n", "3"))
	must(err, "XADD")
	streams, err := redis.Values(blocked.Receive())
	must(err, "XREAD BLOCK")
	stream, _ := redis.Values(streams[0], nil)
	entries, _ := redis.Values(stream[1], nil)
	id, fields := entry(entries[0])
	check(len(entries) == 1 && id == id3 && fields["n"] == "3", "XREAD BLOCK %v", entries)
	blocked.Close()

	// Consumer groups.
	ok, err := redis.String(c.Do("XGROUP", "CREATE", "s", "g", "0"))
	check(err == nil && ok == "OK", "XGROUP CREATE %v", err)
	streams, err = redis.Values(c.Do("XREADGROUP", "GROUP", "g", "c1", "COUNT", 2,
		"STREAMS", "s", ">"))
	must(err, "XREADGROUP")
	stream, _ = redis.Values(streams[0], nil)
	entries, _ = redis.Values(stream[1], nil)
	first, _ := entry(entries[0])
	second, _ := entry(entries[1])
	check(len(entries) == 2 && first == id1 && second == id2, "XREADGROUP %v", entries)
	acked, err := redis.Int(c.Do("XACK", "s", "g", id1))
	check(err == nil && acked == 1, "XACK")
	summary, err := redis.Values(c.Do("XPENDING", "s", "g"))
	must(err, "XPENDING")
	count, _ := redis.Int(summary[0], nil)
	low, _ := redis.String(summary[1], nil)
	check(count == 1 && low == id2, "XPENDING %v", summary)
	claimed, err := redis.Values(c.Do("XCLAIM", "s", "g", "c2", 0, id2))
	must(err, "XCLAIM")
	id, _ = entry(claimed[0])
	check(len(claimed) == 1 && id == id2, "XCLAIM %v", claimed)
	auto, err := redis.Values(c.Do("XAUTOCLAIM", "s", "g", "c3", 0, "0-0"))
	must(err, "XAUTOCLAIM")
	cursor, _ := redis.String(auto[0], nil)
	taken, _ := redis.Values(auto[1], nil)
	id, _ = entry(taken[0])
	check(cursor == "0-0" && len(taken) == 1 && id == id2, "XAUTOCLAIM %v", auto)
	detail, err := redis.Values(c.Do("XPENDING", "s", "g", "-", "+", 10))
	must(err, "XPENDING - + 10")
	row, _ := redis.Values(detail[0], nil)
	owner, _ := redis.String(row[1], nil)
	deliveries, _ := redis.Int(row[3], nil)
	check(owner == "c3" && deliveries == 3, "XPENDING - + 10 %v", row)

	info, err := redis.Values(c.Do("XINFO", "STREAM", "s"))
	must(err, "XINFO STREAM")
	fieldsOf := map[string]interface{}{}
	for i := 0; i+1 < len(info); i += 2 {
		name, _ := redis.String(info[i], nil)
		fieldsOf[name] = info[i+1]
	}
	length, _ := redis.Int(fieldsOf["length"], nil)
	groups, _ := redis.Int(fieldsOf["groups"], nil)
	check(length == 3 && groups == 1, "XINFO STREAM %v", info)

	// MULTI/EXEC with Send + Do("EXEC"), then a plain pipeline.
	must(c.Send("MULTI"), "MULTI")
	must(c.Send("XADD", "t", "*", "a", "1"), "XADD")
	must(c.Send("XADD", "t", "*", "a", "2"), "XADD")
	must(c.Send("XLEN", "t"), "XLEN")
	results, err := redis.Values(c.Do("EXEC"))
	must(err, "EXEC")
	tlen, _ := redis.Int(results[2], nil)
	check(len(results) == 3 && tlen == 2, "EXEC %v", results)
	for i := 0; i < 100; i++ {
		must(c.Send("XADD", "p", "*", "i", i), "pipelined XADD")
	}
	must(c.Send("XLEN", "p"), "pipelined XLEN")
	must(c.Flush(), "flush")
	for i := 0; i < 100; i++ {
		_, err := redis.String(c.Receive())
		must(err, "pipelined XADD reply")
	}
	plen, err := redis.Int(c.Receive())
	check(err == nil && plen == 100, "pipeline XLEN %d", plen)

	client, err := redis.String(c.Do("CLIENT", "INFO"))
	must(err, "CLIENT INFO")
	at := strings.Index(client, " resp=")
	check(at >= 0, "CLIENT INFO %q", client)
	fmt.Printf("PASS protocol=%c\n", client[at+len(" resp=")])
}
