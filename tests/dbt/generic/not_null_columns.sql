{% test not_null_columns(model, columns) %}
{#- Fails with one row for each of `columns` that holds a null, with how many rows do. One
    scan and one dbt node per model where a not_null test per column was a node each, about
    a quarter of a small build's time. -#}

with null_counts as (

    select
        {%- for column in columns %}
        count(*) filter (where {{ adapter.quote(column) }} is null) as null_rows_{{ loop.index }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ model }}

),

per_column as (

    {%- for column in columns %}
    select '{{ column }}' as column_name, null_rows_{{ loop.index }} as null_rows
    from null_counts
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

)

select * from per_column
where null_rows > 0

{% endtest %}
