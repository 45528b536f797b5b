// Fan-out peer for bench/fanout.ts: the source case's stack, Go net/http + gorilla/websocket. It subscribes to the
// snapshot channel in Redis (a minimal RESP reader, so the build needs nothing beyond the standard library and
// gorilla), projects the counter view once per snapshot when asked, and broadcasts one PreparedMessage (framed once)
// to every client through the per-connection writer goroutines of gorilla's hub pattern.
//
// Build: GOPATH=/usr/share/gocode GO111MODULE=off go build -o <dir>/go-relay ./bench/peers/go-relay
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// counterView has the counter view's fields in the broadcaster's order (encoding/json keeps struct order).
type counterView struct {
	Campaign string          `json:"campaign"`
	Epoch    string          `json:"epoch"`
	Seq      json.Number     `json:"seq"`
	At       string          `json:"at"`
	Currency string          `json:"currency"`
	Total    string          `json:"total"`
	Count    json.RawMessage `json:"count"`
}

type client struct {
	conn *websocket.Conn
	send chan *websocket.PreparedMessage
}

type hub struct {
	mu      sync.Mutex
	clients map[*client]struct{}
	latest  *websocket.PreparedMessage
}

func (h *hub) add(c *client) {
	h.mu.Lock()
	h.clients[c] = struct{}{}
	latest := h.latest
	h.mu.Unlock()
	if latest != nil {
		c.send <- latest
	}
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.send)
	}
	h.mu.Unlock()
}

func (h *hub) broadcast(pm *websocket.PreparedMessage) {
	h.mu.Lock()
	h.latest = pm
	for c := range h.clients {
		select {
		case c.send <- pm:
		default: // a client 16 frames behind is skipped, as uWS skips a backpressured socket
		}
	}
	h.mu.Unlock()
}

func writer(c *client) {
	ping := time.NewTicker(25 * time.Second)
	defer func() {
		ping.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case pm, ok := <-c.send:
			if !ok {
				return
			}
			c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.conn.WritePreparedMessage(pm); err != nil {
				return
			}
		case <-ping.C:
			c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// subscribe reads SUBSCRIBE pushes from Redis: arrays of 3 bulk strings ("message", channel, payload).
func subscribe(addr, channel string, onMessage func([]byte)) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(conn, "*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n", len(channel), channel)
	r := bufio.NewReaderSize(conn, 1<<20)
	readLine := func() (string, error) {
		line, err := r.ReadString('\n')
		if len(line) >= 2 {
			line = line[:len(line)-2]
		}
		return line, err
	}
	for {
		head, err := readLine()
		if err != nil {
			return err
		}
		if len(head) == 0 || head[0] != '*' {
			continue
		}
		n, _ := strconv.Atoi(head[1:])
		parts := make([][]byte, 0, n)
		for i := 0; i < n; i++ {
			h, err := readLine()
			if err != nil {
				return err
			}
			if h[0] == ':' {
				parts = append(parts, []byte(h[1:]))
				continue
			}
			size, _ := strconv.Atoi(h[1:])
			buf := make([]byte, size+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return err
			}
			parts = append(parts, buf[:size])
		}
		if len(parts) == 3 && string(parts[0]) == "message" {
			onMessage(parts[2])
		}
	}
}

func main() {
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis host:port")
	channel := flag.String("channel", "", "snapshot channel")
	view := flag.String("view", "full", "full or counter")
	every := flag.Int("every", 1, "send every n-th snapshot (the rate)")
	flag.Parse()
	h := &hub{clients: map[*client]struct{}{}}
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	http.HandleFunc("/v1/live", func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &client{conn: conn, send: make(chan *websocket.PreparedMessage, 16)}
		h.add(c)
		go writer(c)
		go func() { // reader: answers pings (gorilla does it in ReadMessage) and notices the close
			defer h.remove(c)
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
			}
		}()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	received := 0
	go func() {
		err := subscribe(*redisAddr, *channel, func(payload []byte) {
			received++
			if received%*every != 0 {
				return
			}
			frame := payload
			if *view == "counter" {
				var v counterView
				if err := json.Unmarshal(payload, &v); err != nil {
					return
				}
				frame, _ = json.Marshal(v)
			}
			pm, err := websocket.NewPreparedMessage(websocket.TextMessage, frame)
			if err == nil {
				h.broadcast(pm)
			}
		})
		log.Fatal(err)
	}()
	time.Sleep(50 * time.Millisecond) // let SUBSCRIBE reach Redis before announcing readiness
	fmt.Fprintf(os.Stdout, "{\"port\":%d}\n", ln.Addr().(*net.TCPAddr).Port)
	log.Fatal(http.Serve(ln, nil))
}
