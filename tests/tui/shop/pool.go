// Package main is a small shop service, the source the browser test shows.
package main

import (
	"log"
	"time"
)

// Job is one order to reconcile.
type Job struct {
	ID    int
	Items []string
}

// Pool runs jobs on a fixed number of workers.
type Pool struct {
	jobs    chan Job
	results chan error
}

// NewPool starts n workers.
func NewPool(n int) *Pool {
	p := &Pool{jobs: make(chan Job), results: make(chan error, n)}
	for i := 0; i < n; i++ {
		go p.worker(i)
	}
	return p
}

func (p *Pool) process(j Job) error {
	if len(j.Items) == 0 {
		return nil
	}
	time.Sleep(time.Millisecond)
	return nil
}

func (p *Pool) worker(id int) {
	for {
		// Waits here for the next job: nobody sends once the feeder is stuck.
		j := <-p.jobs
		if err := p.process(j); err != nil {
			log.Printf("worker %d: job %d: %v", id, j.ID, err)
		}
		p.results <- nil
	}
}
