/*
 * Example operations, ready to run, for keys that may send their own query text (analyst, operator):
 * they open as the first tabs and stay listed in the "Operations" pane. Restricted keys get the approved
 * operations instead (operations-plugin.jsx).
 */

/** Each example: a title, its document and its variables (JSON text). */
export const EXAMPLES = [
  {
    title: 'National total, 17 January 2018',
    query: `# The national total as at 17 January 2018: the sum of every force's latest figure dated within
# the window, with the forces it covers and those it does not (the coverage), and the totals
# others published for the same day beside it (never added in).
query NationalTotal {
  national(asAt: "2018-01-17") {
    asAt
    windowDays
    unaccounted {
      value
    }
    coverage {
      forces
      reporting
      withoutFigure
      withheld
      notHeld
      unavailable
      stale
    }
    publishedTotals {
      value
      forcesResponded
      source {
        title
      }
    }
  }
}
`,
    variables: '',
  },
  {
    title: 'National series, a point per year',
    query: `# The national total at the end of each year, each point with how many forces it covers. A gap is a
# year in which no force had a figure within the window: not a zero.
query NationalSeries($every: SeriesInterval!, $windowDays: Int) {
  nationalSeries(every: $every, windowDays: $windowDays) {
    from
    to
    every
    windowDays
    points {
      periodStart
      asAt
      gap
      unaccounted {
        value
      }
      coverage {
        forces
        reporting
      }
      publishedTotals {
        value
      }
    }
  }
}
`,
    variables: JSON.stringify({ every: 'YEAR', windowDays: 365 }, null, 2),
  },
  {
    title: 'Dorset, every figure',
    query: `# One force's headline figures from every source, oldest first, each with where it was published.
query ForceHistory($id: ID!) {
  force(id: $id) {
    id
    name
    history {
      value
      status
      basis
      asAt {
        date
        precision
      }
      provenance {
        title
        url
      }
    }
  }
}
`,
    variables: JSON.stringify({ id: 'dorset' }, null, 2),
  },
  {
    title: "The sources' status",
    query: `# Each configured source: whether its figures are fresh, stale or failing, and why.
query SourcesStatus {
  sources {
    id
    title
    kind
    simulated
    state
    freshness
    ageSeconds
    breaker
    error {
      code
      message
    }
  }
}
`,
    variables: '',
  },
];
