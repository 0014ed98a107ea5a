// Command ferretdb-helper runs an embedded FerretDB 1.x on a loopback port, so the MongoDB store's
// tests talk to a real MongoDB wire-protocol server without a MongoDB package: on its SQLite backend
// (--dir), or on PostgreSQL (--postgresql URL), the backend FerretDB is built for.
//
// It prints the MongoDB URI on stdout once the listener accepts connections and stops on SIGTERM/SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free one)")
	dir := flag.String("dir", "", "directory for the SQLite databases (required without --postgresql)")
	postgresql := flag.String("postgresql", "", "PostgreSQL URL: the PostgreSQL backend instead of SQLite")
	flag.Parse()

	if *dir == "" && *postgresql == "" {
		fmt.Fprintln(os.Stderr, "ferretdb-helper: --dir or --postgresql is required")
		os.Exit(2)
	}
	if *dir != "" {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "ferretdb-helper:", err)
			os.Exit(1)
		}
	}

	addr := *listen
	if host, port, err := net.SplitHostPort(addr); err == nil && port == "0" {
		// FerretDB needs a concrete address to build its URI, so reserve a free port first.
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "ferretdb-helper:", err)
			os.Exit(1)
		}
		addr = l.Addr().String()
		l.Close()
	}

	// Above errors: FerretDB logs every failed query as an error, and the store's lease locks fail a
	// unique-key insert by design each time a lock is held (thousands a second under load). The
	// helper's own failures are printed above and below.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError + 4}))
	config := &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	}
	if *postgresql != "" {
		config.Handler = "postgresql"
		config.SQLiteURL = ""
		config.PostgreSQLURL = *postgresql
	}
	f, err := ferretdb.New(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-helper:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "ferretdb-helper: listener did not come up:", err)
			os.Exit(1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Println(f.MongoDBURI())

	if err := <-done; err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "ferretdb-helper:", err)
		os.Exit(1)
	}
}
