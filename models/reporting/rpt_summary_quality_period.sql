{#- How many ledger files lie behind each period and how many of their rows were quarantined,
    defined once here: a file counts for a period when its loaded rows reach into it, or when
    it loaded no row at all (its dates are unknown). On DuckDB the table macro
    reporting.summary_quality_between(d_from, d_to) applies the same to a custom range. -#}
{%- set quality_columns -%}
    periods.period,
    periods.period_start,
    periods.period_end,
    count(quality_files.file_id) as files,
    coalesce(sum(quality_files.rows_quarantined), 0) as rows_quarantined
{%- endset -%}
{%- set file_in_period -%}
    quality_files.first_date is null
    or (
        quality_files.first_date <= periods.period_end
        and quality_files.last_date >= periods.period_start
    )
{%- endset -%}
{%- set range_macro -%}
    {% raw %}{% if target.type == 'duckdb' %}{% endraw %}
    create or replace macro {% raw %}{{ this.schema }}{% endraw %}.summary_quality_between(d_from, d_to)
    as table
    with periods as (
        select
            'range' as period,
            cast(d_from as date) as period_start,
            cast(d_to as date) as period_end
    )
    select {{ quality_columns }}
    from periods
    left join {% raw %}{{ this.schema }}{% endraw %}.rpt_summary_quality_files as quality_files
        on {{ file_in_period }}
    group by periods.period, periods.period_start, periods.period_end
    {% raw %}{% endif %}{% endraw %}
{%- endset -%}
{{ config(post_hook=range_macro) }}

with periods as (

    select * from {{ ref('dim_periods') }}

),

quality_files as (

    select * from {{ ref('rpt_summary_quality_files') }}

),

final as (

    select {{ quality_columns }}
    from periods
    left join quality_files
        on {{ file_in_period }}
    group by periods.period, periods.period_start, periods.period_end

)

select * from final
