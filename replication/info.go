package replication

import (
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/hashicorp/raft"
)

// Member is one server of the cluster's configuration.
type Member struct {
	ID         string
	RaftAddr   string
	ClientAddr string // "" until the member published it
	Suffrage   string // "voter", "nonvoter" or "staging"

	// Reachability as the leader sees it, known (Seen) only in the
	// leader's own status: Reachable is whether the member answered the
	// leader's last call (heartbeats come about ten times a heartbeat
	// timeout), LastContact when it last answered (zero: not since this
	// node leads), LastError why the calls fail.
	Seen        bool
	Reachable   bool
	LastContact time.Time
	LastError   string
}

// Status is a node's view of the cluster.
type Status struct {
	NodeID       string
	RaftAddr     string
	Role         string // "leader", "follower", "candidate" or "shutdown"
	Leader       string // the leader's node id, "" if none is known
	Term         uint64
	CommitIndex  uint64
	AppliedIndex uint64 // the index of the published value
	Members      []Member
	// Ready: the node has caught up with the cluster since it opened
	// (Node.Ready).
	Ready bool
	// SnapshotsRestored counts the snapshots this node installed since it
	// started (at start, or sent by the leader).
	SnapshotsRestored int64
}

// Status returns the node's view of the cluster.
func (n *Node) Status() Status {
	_, leader := n.raft.LeaderWithID()
	st := Status{
		NodeID:            n.cfg.NodeID,
		RaftAddr:          string(n.addr),
		Role:              roleName(n.raft.State()),
		Leader:            string(leader),
		Term:              n.raft.CurrentTerm(),
		CommitIndex:       n.raft.CommitIndex(),
		AppliedIndex:      n.fsm.progress.index.Load(),
		SnapshotsRestored: n.fsm.restores.Load(),
		Ready:             n.Ready(),
	}
	leading := st.Role == "leader"
	if cf := n.raft.GetConfiguration(); cf.Error() == nil {
		members := *n.fsm.members.Load()
		now := time.Now()
		for _, s := range cf.Configuration().Servers {
			m := Member{
				ID:         string(s.ID),
				RaftAddr:   string(s.Address),
				ClientAddr: members[string(s.ID)],
				Suffrage:   suffrageName(s.Suffrage),
				Seen:       leading,
			}
			if leading && s.ID == n.self {
				m.Reachable, m.LastContact = true, now
			} else if p, ok := n.peers.get(s.ID); leading && ok {
				m.Reachable, m.LastContact = p.failingSince.IsZero() && !p.lastContact.IsZero(), p.lastContact
				if p.lastErr != nil {
					m.LastError = p.lastErr.Error()
				}
			}
			st.Members = append(st.Members, m)
		}
	}
	return st
}

func roleName(s raft.RaftState) string {
	switch s {
	case raft.Leader:
		return "leader"
	case raft.Follower:
		return "follower"
	case raft.Candidate:
		return "candidate"
	}
	return "shutdown"
}

func suffrageName(s raft.ServerSuffrage) string {
	switch s {
	case raft.Voter:
		return "voter"
	case raft.Nonvoter:
		return "nonvoter"
	}
	return "staging"
}

// AppendJSON appends the status as the JSON object info shows under
// "cluster".
func (st Status) AppendJSON(dst []byte) []byte {
	str := func(dst []byte, key, v string) []byte {
		dst = append(dst, '"')
		dst = append(dst, key...)
		dst = append(dst, `":`...)
		return jsontext.AppendString(dst, v)
	}
	num := func(dst []byte, key string, v uint64) []byte {
		dst = append(dst, '"')
		dst = append(dst, key...)
		dst = append(dst, `":`...)
		return strconv.AppendUint(dst, v, 10)
	}
	dst = append(dst, '{')
	dst = str(dst, "node-id", st.NodeID)
	dst = append(dst, ',')
	dst = str(dst, "raft-addr", st.RaftAddr)
	dst = append(dst, ',')
	dst = str(dst, "role", st.Role)
	dst = append(dst, ',')
	dst = str(dst, "leader", st.Leader)
	dst = append(dst, ',')
	dst = num(dst, "term", st.Term)
	dst = append(dst, ',')
	dst = num(dst, "commit-index", st.CommitIndex)
	dst = append(dst, ',')
	dst = num(dst, "applied-index", st.AppliedIndex)
	dst = append(dst, ',')
	dst = num(dst, "snapshots-restored", uint64(st.SnapshotsRestored))
	dst = append(dst, `,"ready":`...)
	dst = strconv.AppendBool(dst, st.Ready)
	dst = append(dst, `,"members":[`...)
	for i, m := range st.Members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		dst = str(dst, "id", m.ID)
		dst = append(dst, ',')
		dst = str(dst, "raft-addr", m.RaftAddr)
		dst = append(dst, ',')
		dst = str(dst, "client-addr", m.ClientAddr)
		dst = append(dst, ',')
		dst = str(dst, "suffrage", m.Suffrage)
		if m.Seen {
			dst = append(dst, `,"reachable":`...)
			dst = strconv.AppendBool(dst, m.Reachable)
			dst = append(dst, ',')
			if m.LastContact.IsZero() {
				dst = append(dst, `"last-contact":null,"last-contact-ms-ago":null`...)
			} else {
				dst = str(dst, "last-contact", m.LastContact.UTC().Format(time.RFC3339Nano))
				dst = append(dst, ',')
				dst = num(dst, "last-contact-ms-ago", uint64(max(time.Since(m.LastContact).Milliseconds(), 0)))
			}
			if m.LastError != "" {
				dst = append(dst, ',')
				dst = str(dst, "last-error", m.LastError)
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// DiskSize returns the bytes the node's Raft state takes in its data
// directory (log, stable store and snapshots); 0 without one.
func (n *Node) DiskSize() int64 {
	if n.dataDir == "" {
		return 0
	}
	var total int64
	filepath.WalkDir(n.dataDir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	return total
}

// Applied returns the Raft index of the value this node published last.
func (n *Node) Applied() uint64 { return n.fsm.progress.index.Load() }
