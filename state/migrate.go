package state

import (
	"bytes"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// migrations[v] brings a ledger of schema v to schema v+1 inside the given
// write transaction (see Ledger.migrate). Each reads the layout of its own
// schema as doc.go describes it.
var migrations = map[uint64]func(tx *bolt.Tx) error{
	1: migrate1to2,
}

// servicesOfSchema1 are the protocols of the records schema 1 kept among the
// notifications although they are calls to update services and WebSub hubs.
var servicesOfSchema1 = []string{"weblogUpdates", "websub"}

// migrate1to2 moves what schema 1 kept among the pages and notifications
// into buckets of their own: feeds (page records whose file ends in .xml,
// which were kept there only for their hash) and the results of update
// services and WebSub hubs (notifications with those protocols, whose keys
// looked like the home page's own links).
func migrate1to2(tx *bolt.Tx) error {
	pages, notifications := tx.Bucket(bucketPages), tx.Bucket(bucketNotifications)
	feeds, err := tx.CreateBucketIfNotExists(bucketFeeds)
	if err != nil {
		return err
	}
	services, err := tx.CreateBucketIfNotExists(bucketServices)
	if err != nil {
		return err
	}
	// Collect first: deleting under a moving cursor can skip keys.
	var feedKeys [][]byte
	err = pages.ForEach(func(k, v []byte) error {
		p, err := decodePage(string(k), v)
		if err != nil {
			return corruptValue("page", string(k), err)
		}
		if !strings.HasSuffix(p.File, ".xml") {
			return nil
		}
		f := Feed{URL: p.URL, File: p.File, Hash: p.Hash, FirstSeen: p.FirstSeen, LastSeen: p.LastSeen}
		feedKeys = append(feedKeys, bytes.Clone(k))
		return feeds.Put(bytes.Clone(k), encodeFeed(&f))
	})
	if err != nil {
		return err
	}
	for _, k := range feedKeys {
		if err := pages.Delete(k); err != nil {
			return err
		}
	}
	var serviceKeys [][]byte
	err = notifications.ForEach(func(k, v []byte) error {
		n, err := decodeNotification(k, v)
		if err != nil {
			return err
		}
		for _, p := range servicesOfSchema1 {
			if n.Protocol == p {
				serviceKeys = append(serviceKeys, bytes.Clone(k))
				return services.Put(bytes.Clone(k), bytes.Clone(v))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range serviceKeys {
		if err := notifications.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
