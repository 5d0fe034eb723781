package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// ClusterStatus is info's "cluster" object (docs/clustering.md): a member's
// view of the cluster.
type ClusterStatus struct {
	NodeID       string          `json:"node-id"`
	RaftAddr     string          `json:"raft-addr"`
	Role         string          `json:"role"`
	Leader       string          `json:"leader"`
	Term         uint64          `json:"term"`
	CommitIndex  uint64          `json:"commit-index"`
	AppliedIndex uint64          `json:"applied-index"`
	Ready        bool            `json:"ready"`
	Members      []ClusterMember `json:"members"`
}

// ClusterMember is one member of the cluster's configuration.
type ClusterMember struct {
	ID         string `json:"id"`
	RaftAddr   string `json:"raft-addr"`
	ClientAddr string `json:"client-addr"`
	Suffrage   string `json:"suffrage"`

	// The leader's view, only in the leader's status: whether the member
	// answered the leader's last call, when it last did, and why calls
	// fail.
	Reachable        *bool  `json:"reachable,omitempty"`
	LastContact      string `json:"last-contact,omitempty"`
	LastContactMsAgo *int64 `json:"last-contact-ms-ago,omitempty"`
	LastError        string `json:"last-error,omitempty"`
}

// errNotClusterMember: the server answered info without a "cluster" object.
var errNotClusterMember = errors.New("the server is not a cluster member (started without --node-id)")

// NewClusterCmd builds `fleetdb cluster`.
func NewClusterCmd(stdout, _ io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Show and change the members of a cluster",
		Long: `Show a cluster member's view of the cluster, add a member, remove one.

Any member answers: a join or a removal sent to a follower is handed to the
leader. A member started with --bootstrap or --join needs none of this; use
cluster join for a member started without either (it waits to be added), and
cluster remove before retiring a member for good, so that the others stop
counting it in their majority.`,
		Example: `  fleetdb cluster status                       # the member at 127.0.0.1:3400
  fleetdb cluster status --host 127.0.0.2 --json
  fleetdb cluster join n4 127.0.0.4:4400 127.0.0.4:3400
  fleetdb cluster remove n4`,
		Args: cliutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newClusterStatusCmd(stdout), newClusterJoinCmd(stdout), newClusterRemoveCmd(stdout))
	return cmd
}

func newClusterStatusCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the member's view of the cluster: role, leader, term, indexes, members",
		Long: `Send ["info"] and show its "cluster" object: the member's id and role
(leader, follower, candidate), the leader it knows, the Raft term, its commit
and applied indexes, and the members of the configuration with their Raft and
client addresses and suffrage, and for each member whether the leader can
reach it and when the leader last heard from it (asked of the leader, at the
client address it published, when the member asked is a follower). With
--json, the member's object as the server sends it (only the leader's has
"reachable" and "last-contact" per member).

A member that is not the leader may be behind: its applied index trails the
leader's until it catches up.`,
		Example: `  fleetdb cluster status
  fleetdb cluster status --host 127.0.0.2 --port 3400
  fleetdb cluster status --json | jq -r '.members[].id'`,
		Args: cliutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.WithClient(cmd.Context(), "cluster status", func(c *client.Client, addr string) error {
				raw, st, err := FetchClusterStatus(cmd.Context(), c)
				if err != nil {
					if errors.Is(err, errNotClusterMember) {
						return fmt.Errorf("%s: %w", addr, err)
					}
					return err
				}
				o := cliutil.NewOutput(stdout, f.AsJSON)
				if o.JSON {
					return o.Emit(raw)
				}
				view, verr := leaderView(cmd.Context(), &f.Conn, st)
				_, err = io.WriteString(stdout, RenderClusterStatus(st, view, verr))
				return err
			})
		},
	}
	f.Register(cmd)
	return cmd
}

// FetchClusterStatus asks for info and returns its "cluster" object, raw
// and decoded.
func FetchClusterStatus(ctx context.Context, c *client.Client) (json.RawMessage, ClusterStatus, error) {
	var st ClusterStatus
	info, err := c.Info(ctx)
	if err != nil {
		return nil, st, err
	}
	var v struct {
		Cluster json.RawMessage `json:"cluster"`
	}
	if err := json.Unmarshal(info.Raw, &v); err != nil {
		return nil, st, fmt.Errorf("%w: info answered %.64s", client.ErrUnexpectedResult, info.Raw)
	}
	if len(v.Cluster) == 0 || string(v.Cluster) == "null" {
		return nil, st, errNotClusterMember
	}
	if err := json.Unmarshal(v.Cluster, &st); err != nil {
		return nil, st, fmt.Errorf("%w: info's cluster object: %v", client.ErrUnexpectedResult, err)
	}
	return v.Cluster, st, nil
}

// leaderView returns the leader's status, which holds the members'
// reachability: st itself when it is the leader's, else asked of the
// leader at its client address.
func leaderView(ctx context.Context, f *cliutil.ConnFlags, st ClusterStatus) (*ClusterStatus, error) {
	if st.Role == "leader" {
		return &st, nil
	}
	if st.Leader == "" {
		return nil, errors.New("no leader known")
	}
	addr := ""
	for _, m := range st.Members {
		if m.ID == st.Leader {
			addr = m.ClientAddr
		}
	}
	if addr == "" {
		return nil, fmt.Errorf("the leader %s published no client address", st.Leader)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := f.DialAddr(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_, lst, err := FetchClusterStatus(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	if lst.Role != "leader" {
		return nil, fmt.Errorf("%s (%s) is no longer the leader", addr, lst.NodeID)
	}
	return &lst, nil
}

// RenderClusterStatus is cluster status's table mode: the member's view,
// then the members, with their reachability from view (the leader's
// status; nil when it could not be had, for the reason verr).
func RenderClusterStatus(st ClusterStatus, view *ClusterStatus, verr error) string {
	leader := st.Leader
	if leader == "" {
		leader = "(none known)"
	}
	out := cliutil.RenderTable([]string{"key", "value"}, [][]string{
		{"node", st.NodeID},
		{"role", st.Role},
		{"leader", leader},
		{"term", strconv.FormatUint(st.Term, 10)},
		{"commit index", strconv.FormatUint(st.CommitIndex, 10)},
		{"applied index", strconv.FormatUint(st.AppliedIndex, 10)},
		{"ready", strconv.FormatBool(st.Ready)},
	}, "")
	seen := map[string]ClusterMember{}
	if view != nil {
		for _, m := range view.Members {
			seen[m.ID] = m
		}
	}
	rows := make([][]string, len(st.Members))
	for i, m := range st.Members {
		var notes []byte
		if m.ID == st.Leader {
			notes = append(notes, "leader"...)
		}
		if m.ID == st.NodeID {
			if len(notes) > 0 {
				notes = append(notes, ", "...)
			}
			notes = append(notes, "this member"...)
		}
		reach, last := "?", "?"
		if v, ok := seen[m.ID]; ok && v.Reachable != nil {
			reach = "yes"
			if !*v.Reachable {
				reach = "NO"
				if v.LastError != "" {
					reach = "NO: " + v.LastError
				}
			}
			last = "never"
			if v.LastContactMsAgo != nil {
				last = (time.Duration(*v.LastContactMsAgo) * time.Millisecond).String() + " ago"
			}
		}
		rows[i] = []string{m.ID, m.RaftAddr, m.ClientAddr, m.Suffrage, reach, last, string(notes)}
	}
	title := cliutil.Plural(len(st.Members), "member", "members")
	if view == nil && verr != nil {
		title += " (reachability unknown: " + verr.Error() + ")"
	}
	return out + cliutil.RenderTable([]string{"member", "raft address", "client address", "suffrage", "leader reaches it", "leader last heard", ""}, rows, title)
}

func newClusterJoinCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "join ID RAFT-ADDR CLIENT-ADDR",
		Short: "Add a member (a voter) to the cluster",
		Long: `Send ["cluster-join", ID, RAFT-ADDR, CLIENT-ADDR] to a member, which hands it
to the leader: the node ID, listening for Raft at RAFT-ADDR, becomes a voting
member. Start the new node first, with --node-id ID --raft-addr RAFT-ADDR
--data-dir DIR and neither --bootstrap nor --join: it waits to be added, then
catches up from the leader (by snapshot if it is far behind). CLIENT-ADDR is
its protocol address, shown by cluster status.

Joining again with the id of a member updates its addresses.`,
		Example: `  fleetdb serve -a 127.0.0.4 --node-id n4 --raft-addr 127.0.0.4:4400 --data-dir n4 &
  fleetdb cluster join n4 127.0.0.4:4400 127.0.0.4:3400
  fleetdb cluster join n4 127.0.0.4:4400 127.0.0.4:3400 --host 127.0.0.2 --json`,
		Args: cliutil.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, raftAddr, clientAddr := args[0], args[1], args[2]
			return f.WithClient(cmd.Context(), "cluster-join", func(c *client.Client, _ string) error {
				if _, err := c.Query(cmd.Context(), []any{"cluster-join", id, raftAddr, clientAddr}); err != nil {
					return err
				}
				o := cliutil.NewOutput(stdout, f.AsJSON)
				if o.JSON {
					return o.Emit(map[string]any{"joined": true, "id": id, "raft-addr": raftAddr, "client-addr": clientAddr})
				}
				return o.Say("%s (raft %s, client %s) is a member of the cluster", id, raftAddr, clientAddr)
			})
		},
	}
	f.Register(cmd)
	return cmd
}

func newClusterRemoveCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a member from the cluster",
		Long: `Send ["cluster-remove", ID] to a member, which hands it to the leader: the
node leaves the configuration and no longer counts in the majority. Removing
the leader makes the others elect a new one. The removed node's process keeps
running until it is stopped; to bring it back later, start it with an empty
data dir and --join.`,
		Example: `  fleetdb cluster remove n4
  fleetdb cluster remove n2 --host 127.0.0.3 --json`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			return f.WithClient(cmd.Context(), "cluster-remove", func(c *client.Client, _ string) error {
				if _, err := c.Query(cmd.Context(), []any{"cluster-remove", id}); err != nil {
					return err
				}
				o := cliutil.NewOutput(stdout, f.AsJSON)
				if o.JSON {
					return o.Emit(map[string]any{"removed": true, "id": id})
				}
				return o.Say("%s is no longer a member of the cluster", id)
			})
		},
	}
	f.Register(cmd)
	return cmd
}
